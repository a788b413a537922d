package deploy

import (
	"context"
	"maps"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// loadCompose loads docker-compose.yml as Docker Compose would, validation
// included, with an empty environment so the result does not depend on the
// machine.
func loadCompose(t *testing.T) *types.Project {
	t.Helper()
	root := repoRoot(t)
	opts, err := cli.NewProjectOptions([]string{filepath.Join(root, "docker-compose.yml")},
		cli.WithWorkingDirectory(root))
	if err != nil {
		t.Fatalf("compose options: %v", err)
	}
	project, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("load docker-compose.yml: %v", err)
	}
	return project
}

// mustService returns the named service of project.
func mustService(t *testing.T, project *types.Project, name string) types.ServiceConfig {
	t.Helper()
	s, ok := project.Services[name]
	if !ok {
		t.Fatalf("docker-compose.yml has no %q service; it has %v", name, slices.Sorted(maps.Keys(project.Services)))
	}
	return s
}

// env returns the value of key in a service's environment, and whether it is set.
func env(s types.ServiceConfig, key string) (string, bool) {
	v, ok := s.Environment[key]
	if !ok || v == nil {
		return "", false
	}
	return *v, true
}

func TestComposeDatabase(t *testing.T) {
	project := loadCompose(t)
	db := mustService(t, project, "db")

	repo, tag := splitImage(db.Image)
	if repo != "postgres" && repo != "library/postgres" && repo != "docker.io/library/postgres" {
		t.Errorf("db image %q is not the official postgres image", db.Image)
	}
	if major := leadingNumber(tag); major < 16 {
		t.Errorf("db image %q: want a tag pinning PostgreSQL 16 or later (the store needs xid8 and pg_snapshot_xmin at their best)", db.Image)
	}

	if hc := db.HealthCheck; hc == nil || hc.Disable || !strings.Contains(strings.Join(hc.Test, " "), "pg_isready") {
		t.Errorf("db has no pg_isready healthcheck, so depends_on cannot wait for it: %+v", db.HealthCheck)
	}

	var named bool
	for _, v := range db.Volumes {
		if v.Type != types.VolumeTypeVolume || !strings.HasPrefix(v.Target, "/var/lib/postgresql") {
			continue
		}
		if _, declared := project.Volumes[v.Source]; !declared {
			t.Errorf("db mounts volume %q, which is not declared under the top-level volumes", v.Source)
		}
		named = true
	}
	if !named {
		t.Errorf("db keeps its data in no named volume under /var/lib/postgresql: %+v", db.Volumes)
	}
}

func TestComposeRegistry(t *testing.T) {
	root := repoRoot(t)
	project := loadCompose(t)
	db := mustService(t, project, "db")
	acv := mustService(t, project, "acv")

	if acv.Build == nil {
		t.Fatalf("acv is not built from the repository")
	}
	if acv.Build.Context != root {
		t.Errorf("acv build context = %q, want the repository root %q", acv.Build.Context, root)
	}
	dockerfile := acv.Build.Dockerfile
	if !filepath.IsAbs(dockerfile) {
		dockerfile = filepath.Join(acv.Build.Context, dockerfile)
	}
	if dockerfile != filepath.Join(root, "Dockerfile") {
		t.Errorf("acv is built from %q, want the repository's Dockerfile", dockerfile)
	}

	if len(acv.Command) > 0 && !slices.Equal(acv.Command, []string{"serve"}) {
		t.Errorf("acv command = %q, want [serve]", acv.Command)
	}

	dsn, ok := env(acv, "ACV_DATABASE_URL")
	if !ok {
		t.Fatalf("acv has no ACV_DATABASE_URL, so it would run on embedded SQLite")
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("acv ACV_DATABASE_URL does not parse") // the error would quote the password
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		t.Errorf("ACV_DATABASE_URL scheme = %q, want postgres", u.Scheme)
	}
	if u.Hostname() != "db" || (u.Port() != "" && u.Port() != "5432") {
		t.Errorf("ACV_DATABASE_URL points at %s, want the db service on 5432", u.Host)
	}
	password, _ := u.User.Password()
	for field, want := range map[string][2]string{
		"user":     {u.User.Username(), "POSTGRES_USER"},
		"password": {password, "POSTGRES_PASSWORD"},
		"database": {strings.TrimPrefix(u.Path, "/"), "POSTGRES_DB"},
	} {
		if v, _ := env(db, want[1]); v != want[0] {
			t.Errorf("ACV_DATABASE_URL %s does not match the db service's %s", field, want[1])
		}
	}

	if dep, ok := acv.DependsOn["db"]; !ok || dep.Condition != types.ServiceConditionHealthy {
		t.Errorf("acv must depend on db with condition %s; depends_on = %+v", types.ServiceConditionHealthy, acv.DependsOn)
	}
	if !slices.ContainsFunc(acv.Ports, func(p types.ServicePortConfig) bool { return p.Target == 8080 && p.Published == "8080" }) {
		t.Errorf("acv does not publish port 8080: %+v", acv.Ports)
	}
	if addr, ok := env(acv, "ACV_ADDR"); ok && !strings.HasSuffix(addr, ":8080") {
		t.Errorf("acv ACV_ADDR = %q, but port 8080 is the one published", addr)
	}
	if hc := acv.HealthCheck; hc == nil || hc.Disable || !strings.Contains(strings.Join(hc.Test, " "), "/healthz") {
		t.Errorf("acv has no healthcheck on /healthz: %+v", acv.HealthCheck)
	}
}
