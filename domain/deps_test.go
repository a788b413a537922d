package domain_test

import (
	"os/exec"
	"strings"
	"testing"
)

func TestDomainImportsStdlibOnly(t *testing.T) { // domain/deps_test.go
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if !strings.HasSuffix(pkg, "/domain") {
			t.Errorf("domain depends on %s; only the standard library is allowed", pkg)
		}
	}
}
