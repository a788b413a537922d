package deploy

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	line int    // where it starts, for messages
	cmd  string // upper case: FROM, RUN, ...
	args string
}

// stage is one FROM and the instructions after it.
type stage struct {
	image, name  string
	instructions []instruction
}

// find returns the arguments of the stage's instructions named cmd.
func (s stage) find(cmd string) []string {
	var args []string
	for _, in := range s.instructions {
		if in.cmd == cmd {
			args = append(args, in.args)
		}
	}
	return args
}

// env returns the value the stage's ENV instructions give key, the last one
// winning. It reads both forms, "ENV K=V K2=V2" and "ENV K V", without quotes.
func (s stage) env(key string) (string, bool) {
	value, found := "", false
	for _, e := range s.find("ENV") {
		if k, v, ok := strings.Cut(e, " "); ok && k == key && !strings.Contains(k, "=") {
			value, found = v, true
			continue
		}
		for _, kv := range strings.Fields(e) {
			if k, v, ok := strings.Cut(kv, "="); ok && k == key {
				value, found = v, true
			}
		}
	}
	return value, found
}

// parseDockerfile reads the Dockerfile into stages. It understands what a
// plain Dockerfile uses - comments, backslash continuations, FROM ... AS -
// and not heredocs or a changed escape character, which the test rejects.
func parseDockerfile(t *testing.T, path string) []stage {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open Dockerfile: %v", err)
	}
	defer f.Close()
	var stages []stage
	var pending strings.Builder
	start, n := 0, 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") {
			if strings.HasPrefix(strings.ReplaceAll(line, " ", ""), "#escape=") {
				t.Fatalf("Dockerfile:%d: an escape directive is beyond this test's parser", n)
			}
			continue // a comment, inside a continuation too
		}
		if strings.Contains(line, "<<") {
			t.Fatalf("Dockerfile:%d: a heredoc is beyond this test's parser", n)
		}
		if pending.Len() == 0 {
			if line == "" {
				continue
			}
			start = n
		}
		if cont, ok := strings.CutSuffix(line, `\`); ok {
			pending.WriteString(cont + " ")
			continue
		}
		pending.WriteString(line)
		cmd, args, _ := strings.Cut(pending.String(), " ")
		pending.Reset()
		in := instruction{line: start, cmd: strings.ToUpper(cmd), args: strings.Join(strings.Fields(args), " ")}
		if in.cmd == "FROM" {
			fields := strings.Fields(in.args)
			st := stage{image: fields[0]}
			if len(fields) == 3 && strings.EqualFold(fields[1], "AS") {
				st.name = fields[2]
			}
			stages = append(stages, st)
			continue
		}
		if len(stages) == 0 {
			t.Fatalf("Dockerfile:%d: %s before the first FROM", in.line, in.cmd)
		}
		stages[len(stages)-1].instructions = append(stages[len(stages)-1].instructions, in)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read Dockerfile: %v", err)
	}
	if len(stages) < 2 {
		t.Fatalf("Dockerfile has %d stage(s), want a build stage and a runtime stage", len(stages))
	}
	return stages
}

// goBuildPattern matches the build command and captures its package argument.
var goBuildPattern = regexp.MustCompile(`\bgo build\b[^&;|]*?\s(\./[^\s&;|]*)`)

// goDirective returns the major.minor of the go directive in go.mod.
func goDirective(t *testing.T, root string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatalf("read go.mod: %v", err)
	}
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("go.mod has no go directive")
	}
	return string(m[1])
}

// buildStage returns the stage that runs go build, and the package it builds.
func buildStage(t *testing.T, stages []stage) (stage, string) {
	t.Helper()
	for _, st := range stages {
		for _, run := range st.find("RUN") {
			if m := goBuildPattern.FindStringSubmatch(run); m != nil {
				return st, m[1]
			}
		}
	}
	t.Fatalf("no stage of the Dockerfile runs go build on a ./ package")
	return stage{}, ""
}

func TestDockerfile(t *testing.T) {
	root := repoRoot(t)
	stages := parseDockerfile(t, filepath.Join(root, "Dockerfile"))
	build, pkg := buildStage(t, stages)

	repo, tag := splitImage(build.image)
	if want := goDirective(t, root); repo != "golang" || !(tag == want || strings.HasPrefix(tag, want+".") || strings.HasPrefix(tag, want+"-")) {
		t.Errorf("build stage FROM %s, want golang:%s to match go.mod's go directive", build.image, want)
	}
	if pkg != commandPackage {
		t.Errorf("Dockerfile builds %s, want %s", pkg, commandPackage)
	}
	runs := strings.Join(build.find("RUN"), "\n")
	for _, flag := range []string{"-trimpath", "-o /out/acv"} {
		if !strings.Contains(runs, flag) {
			t.Errorf("the go build in the Dockerfile lacks %s", flag)
		}
	}
	if v, ok := build.env("CGO_ENABLED"); !(ok && v == "0") && !strings.Contains(runs, "CGO_ENABLED=0 go build") {
		t.Errorf("the build stage does not set CGO_ENABLED=0; the binary would need a C library at run time")
	}
	if !slices.Contains(build.find("COPY"), ". .") {
		t.Errorf("the build stage does not COPY . . (the whole build context)")
	}

	final := stages[len(stages)-1]
	if repo, _ := splitImage(final.image); repo == "golang" {
		t.Errorf("the runtime stage is the Go toolchain image %s; want a small one", final.image)
	}
	copied := false
	for _, c := range final.find("COPY") {
		copied = copied || (c == "--from="+build.name+" /out/acv /acv")
	}
	if build.name == "" || !copied {
		t.Errorf("the runtime stage does not COPY --from=<build stage> /out/acv /acv")
	}
	for cmd, want := range map[string]string{
		"ENTRYPOINT": `["/acv"]`,
		"CMD":        `["serve"]`,
		"EXPOSE":     "8080",
	} {
		if !slices.Contains(final.find(cmd), want) {
			t.Errorf("the runtime stage lacks %s %s; it has %q", cmd, want, final.find(cmd))
		}
	}
	if addr, _ := final.env("ACV_ADDR"); addr != ":8080" {
		t.Errorf("the runtime stage sets ACV_ADDR=%q, want :8080 (the binary's default listens on loopback only)", addr)
	}
	users := final.find("USER")
	if len(users) == 0 {
		t.Errorf("the runtime stage has no USER: the registry would run as root")
	} else if u, _, _ := strings.Cut(users[len(users)-1], ":"); u == "root" || u == "0" {
		t.Errorf("the runtime stage runs as %s, want a non-root user", users[len(users)-1])
	}
	if len(final.find("WORKDIR")) == 0 {
		t.Errorf("the runtime stage sets no WORKDIR for the embedded database's ./data")
	}
}

// TestDockerfileBuildsTheTestedBinary checks that the package the image
// builds is the module's command, the one `go build ./cmd/acv` and the tests
// build.
func TestDockerfileBuildsTheTestedBinary(t *testing.T) {
	root := repoRoot(t)
	_, pkg := buildStage(t, parseDockerfile(t, filepath.Join(root, "Dockerfile")))
	module := strings.TrimSpace(goList(t, root, "-m"))
	got := strings.TrimSpace(goList(t, root, "-f", "{{.Name}} {{.ImportPath}}", pkg))
	if want := "main " + module + "/cmd/acv"; got != want {
		t.Errorf("the Dockerfile's %s is package %q, want %q", pkg, got, want)
	}
}
