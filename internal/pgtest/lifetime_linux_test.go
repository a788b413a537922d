package pgtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Environment of the helper process that TestClusterLifetime starts.
const (
	helperReport = "PGTEST_HELPER_REPORT" // file to write "dir pid" of the cluster to
	helperDie    = "PGTEST_HELPER_DIE"    // when set, SIGKILL the process after starting the cluster
)

// TestClusterLifetime runs this test binary again, as a test process that
// starts a throwaway cluster, and checks what remains after it exits: nothing
// after a normal exit through Main; after a SIGKILL, no server, and only a
// directory that the next cluster start removes.
func TestClusterLifetime(t *testing.T) {
	if os.Getenv(envDatabaseURL) != "" {
		t.Skipf("%s is set, so no throwaway cluster is used", envDatabaseURL)
	}
	if _, err := findBinaries(debianBinaries); err != nil {
		DSN(t) // skips or fails, as ACV_REQUIRE_DB says, with the reason
	}
	for _, tt := range []struct {
		name string
		die  bool
	}{
		{"Main stops it", false},
		{"a killed process takes it down", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			report := filepath.Join(t.TempDir(), "cluster")
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperCluster$", "-test.count=1")
			cmd.Env = append(os.Environ(), helperReport+"="+report)
			if tt.die {
				cmd.Env = append(cmd.Env, helperDie+"=1")
			}
			out, err := cmd.CombinedOutput()
			if tt.die != (err != nil) {
				t.Fatalf("helper process: err = %v, want error %v; output:\n%s", err, tt.die, out)
			}
			b, err := os.ReadFile(report)
			if err != nil {
				t.Fatalf("helper did not report its cluster: %v; output:\n%s", err, out)
			}
			var dir string
			var pid int
			if _, err := fmt.Sscan(string(b), &dir, &pid); err != nil {
				t.Fatalf("parse report %q: %v", b, err)
			}

			deadline := time.Now().Add(20 * time.Second)
			for running(pid) {
				if time.Now().After(deadline) {
					_ = syscall.Kill(pid, syscall.SIGKILL) // do not leak it past the test
					t.Fatalf("postmaster %d still running after its test process exited", pid)
				}
				time.Sleep(50 * time.Millisecond)
			}

			_, err = os.Stat(dir)
			if !tt.die {
				if !os.IsNotExist(err) {
					t.Errorf("cluster directory %s still there after Main (stat: %v)", dir, err)
				}
				return
			}
			if os.IsNotExist(err) {
				return // another test process starting a cluster swept it first
			}
			if err != nil {
				t.Fatalf("stat the killed process's cluster directory: %v", err)
			}
			removeStale(filepath.Dir(dir))
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				_ = os.RemoveAll(dir)
				t.Errorf("removeStale left %s, whose owner is dead (stat: %v)", dir, err)
			}
		})
	}
}

// TestHelperCluster is not a test of its own: it is the process that
// TestClusterLifetime starts, and does nothing unless started that way.
func TestHelperCluster(t *testing.T) {
	report := os.Getenv(helperReport)
	if report == "" {
		return
	}
	DSN(t)
	if local.c == nil {
		t.Fatal("DSN returned without starting the throwaway cluster")
	}
	if err := os.WriteFile(report, []byte(fmt.Sprintf("%s %d", local.c.dir, local.c.proc.Pid)), 0o644); err != nil {
		t.Fatalf("write report: %v", err)
	}
	if os.Getenv(helperDie) != "" {
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		time.Sleep(time.Minute) // not reached
	}
}

// running reports whether process pid exists and is not a zombie: in a
// container whose init does not reap orphans, a dead postmaster lingers as one.
func running(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name, which may hold spaces.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}
