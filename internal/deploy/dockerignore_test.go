package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// ignorePattern is one line of .dockerignore.
type ignorePattern struct {
	re     *regexp.Regexp
	negate bool
}

// parseDockerignore reads .dockerignore. Its matching follows Docker's rules
// for what this repository uses: *, ?, ** and ! exceptions, a pattern that
// matches a directory excluding everything in it. Character classes and
// escapes are rejected rather than guessed at.
func parseDockerignore(t *testing.T, path string) []ignorePattern {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read .dockerignore: %v", err)
	}
	var patterns []ignorePattern
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		negate := strings.HasPrefix(line, "!")
		line = strings.TrimPrefix(filepath.ToSlash(filepath.Clean(strings.TrimPrefix(line, "!"))), "/")
		if strings.ContainsAny(line, `[\`) {
			t.Fatalf(".dockerignore:%d: %q uses syntax this test does not model", i+1, line)
		}
		patterns = append(patterns, ignorePattern{re: globRegexp(line), negate: negate})
	}
	return patterns
}

// globRegexp translates a .dockerignore glob into an anchored regexp.
func globRegexp(glob string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(glob); i++ {
		switch {
		case strings.HasPrefix(glob[i:], "**/"):
			b.WriteString("(.*/)?")
			i += 2
		case strings.HasPrefix(glob[i:], "**"):
			b.WriteString(".*")
			i++
		case glob[i] == '*':
			b.WriteString("[^/]*")
		case glob[i] == '?':
			b.WriteString("[^/]")
		default:
			b.WriteString(regexp.QuoteMeta(glob[i : i+1]))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// ignored reports whether .dockerignore leaves the slash-separated path out
// of the build context: the last pattern matching it or a parent directory wins.
func ignored(patterns []ignorePattern, path string) bool {
	excluded := false
	for _, p := range patterns {
		parts := strings.Split(path, "/")
		for i := range parts {
			if p.re.MatchString(strings.Join(parts[:i+1], "/")) {
				excluded = !p.negate
				break
			}
		}
	}
	return excluded
}

func TestDockerignoreMatching(t *testing.T) {
	patterns := []ignorePattern{
		{re: globRegexp("docs")},
		{re: globRegexp("**/testdata")},
		{re: globRegexp("*.test")},
		{re: globRegexp("api/*.md")},
		{re: globRegexp("api/keep.md"), negate: true},
	}
	for path, want := range map[string]bool{
		"docs":                          true,
		"docs/performance.md":           true,
		"eventstore/testdata/a.json":    true,
		"testdata/x":                    true,
		"acv.test":                      true,
		"cmd/acv/main.go":               false,
		"cmd/acv/acv.test":              false,
		"api/readme.md":                 true,
		"api/keep.md":                   false,
		"eventstore/postgres/schema.go": false,
		"documents/x.go":                false,
	} {
		if got := ignored(patterns, path); got != want {
			t.Errorf("ignored(%q) = %v, want %v", path, got, want)
		}
	}
}

// TestDockerignoreKeepsBuildInputs checks that the build context holds every
// file the build of ./cmd/acv reads: go.mod, go.sum and the Go and embedded
// files of each of the module's packages it depends on.
func TestDockerignoreKeepsBuildInputs(t *testing.T) {
	root := repoRoot(t)
	patterns := parseDockerignore(t, filepath.Join(root, ".dockerignore"))
	files := []string{"go.mod", "go.sum"}
	out := goList(t, root, "-deps", "-f",
		`{{if and .Module .Module.Main}}{{.Dir}}{{range .GoFiles}}|{{.}}{{end}}{{range .EmbedFiles}}|{{.}}{{end}}{{end}}`,
		commandPackage)
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		fields := strings.Split(line, "|")
		for _, name := range fields[1:] {
			rel, err := filepath.Rel(root, filepath.Join(fields[0], name))
			if err != nil {
				t.Fatalf("relative path of %s: %v", name, err)
			}
			files = append(files, filepath.ToSlash(rel))
		}
	}
	if len(files) == 2 {
		t.Fatalf("go list found no source files for %s", commandPackage)
	}
	for _, f := range files {
		if ignored(patterns, f) {
			t.Errorf(".dockerignore leaves %s out of the build context, but building %s needs it", f, commandPackage)
		}
	}
}
