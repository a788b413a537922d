package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

const (
	// dirPrefix names the cluster's temporary directory.
	dirPrefix = "acv-pgtest-"
	// ownerFile, in that directory, holds the pid of the test process that
	// owns it, so a later process can remove the directories of dead ones.
	ownerFile = "owner.pid"
	// superuser is the role initdb creates; trust authentication lets it in.
	superuser = "postgres"
	// startTimeout bounds the wait for a new server to accept connections.
	startTimeout = time.Minute
	// stopTimeout bounds the wait for the server to exit before it is killed.
	stopTimeout = 30 * time.Second
	// portAttempts is how many free ports to try: another process may take
	// the port between our probe and the server's bind.
	portAttempts = 3
)

// debianBinaries matches the bin directory of each PostgreSQL version that
// Debian's postgresql-NN packages install.
const debianBinaries = "/usr/lib/postgresql/*/bin"

// serverSettings are appended to the throwaway cluster's postgresql.conf.
// Durability is off because the cluster is thrown away: a crash loses
// nothing anyone wants. max_connections leaves room for pools in parallel
// tests and the conformance suite's concurrent writers.
const serverSettings = `
# Added by internal/pgtest: a throwaway cluster for tests.
listen_addresses = '127.0.0.1'
unix_socket_directories = '%s'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
shared_buffers = 256MB
`

// credential is a user and group to run the server programs as.
type credential struct{ uid, gid uint32 }

// errPortInUse reports that the server lost the race for its port.
var errPortInUse = errors.New("port already in use")

// local is the throwaway cluster of this test process, started by the first
// DSN call that needs it and stopped by Main. It is the package's only
// mutable state; once orders every access to the other fields.
var local struct {
	once sync.Once
	c    *cluster
	srv  *server
	err  error
}

// localServer returns the throwaway cluster, starting it on first use. Every
// call after a failed start returns the same error without trying again.
func localServer() (*server, error) {
	local.once.Do(func() {
		local.c, local.err = startCluster()
		if local.err == nil {
			local.srv = local.c.server()
		}
	})
	return local.srv, local.err
}

// stopLocal stops the throwaway cluster if this process started one. Once it
// has run, DSN fails instead of starting another cluster nobody would stop.
func stopLocal() error {
	local.once.Do(func() {
		local.err = errors.New("DSN called after Main finished: no cluster will be started")
	})
	if local.c == nil {
		return nil
	}
	return local.c.stop()
}

// cluster is a running throwaway PostgreSQL server and its directory.
type cluster struct {
	bin  string      // directory holding initdb, pg_ctl and postgres
	dir  string      // temporary directory: data, socket, log
	data string      // the data directory, inside dir
	cred *credential // the postgres user when running as root; nil otherwise
	port int         // the TCP port on 127.0.0.1

	proc *os.Process     // the postmaster
	done <-chan struct{} // closed when the postmaster has exited
}

// startCluster initialises and starts a throwaway cluster. Errors that mean
// PostgreSQL cannot be had here wrap errUnavailable. On failure nothing is
// left running or on disk.
func startCluster() (*cluster, error) {
	bin, err := findBinaries(debianBinaries)
	if err != nil {
		return nil, err
	}
	cred, err := serverCredential()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errUnavailable, err)
	}
	base := os.TempDir()
	if cred != nil {
		// TMPDIR may point somewhere the postgres user cannot reach; /tmp it can.
		base = "/tmp"
	}
	removeStale(base)
	dir, err := os.MkdirTemp(base, dirPrefix)
	if err != nil {
		return nil, fmt.Errorf("%w: create cluster directory: %w", errUnavailable, err)
	}
	c := &cluster{bin: bin, dir: dir, data: filepath.Join(dir, "data"), cred: cred}
	if err := c.init(); err != nil {
		_ = os.RemoveAll(dir) // best effort: the error that matters is err
		return nil, fmt.Errorf("%w: %w", errUnavailable, err)
	}
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err == nil {
			err = c.start(port)
		}
		if err == nil {
			return c, nil
		}
		if !errors.Is(err, errPortInUse) || attempt == portAttempts {
			_ = os.RemoveAll(dir) // best effort, as above
			return nil, fmt.Errorf("%w: start PostgreSQL from %s: %w", errUnavailable, bin, err)
		}
	}
}

// findBinaries returns the directory holding initdb, pg_ctl and postgres:
// that of initdb on PATH (after following links), else the highest version
// among the directories matching libGlob (debianBinaries, where Debian
// installs the server without putting it on PATH).
func findBinaries(libGlob string) (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		// Resolve links (/usr/local/bin/initdb -> /usr/lib/postgresql/15/bin/initdb)
		// so the three programs come from one installation.
		if real, err := filepath.EvalSymlinks(p); err == nil && hasServerBinaries(filepath.Dir(real)) {
			return filepath.Dir(real), nil
		}
		if hasServerBinaries(filepath.Dir(p)) {
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob(libGlob) // the only error is a malformed pattern
	sort.Slice(dirs, func(i, j int) bool {
		return versionLess(filepath.Base(filepath.Dir(dirs[j])), filepath.Base(filepath.Dir(dirs[i])))
	})
	for _, d := range dirs {
		if hasServerBinaries(d) {
			return d, nil
		}
	}
	return "", fmt.Errorf("%w: no initdb, pg_ctl and postgres on PATH or in /usr/lib/postgresql/*/bin "+
		"(install PostgreSQL, e.g. apt-get install postgresql, or set %s)", errUnavailable, envDatabaseURL)
}

// versionLess orders PostgreSQL version directory names such as "9.6", "15"
// and "16" numerically, part by part.
func versionLess(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		na, errA := strconv.Atoi(pa[i])
		nb, errB := strconv.Atoi(pb[i])
		if errA != nil || errB != nil {
			return a < b
		}
		if na != nb {
			return na < nb
		}
	}
	return len(pa) < len(pb)
}

// hasServerBinaries reports whether dir holds executable initdb, pg_ctl and postgres.
func hasServerBinaries(dir string) bool {
	for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
			return false
		}
	}
	return true
}

// removeStale removes the cluster directories left by test processes that
// died without running Main. Their servers died with them (see procAttr).
// It is best effort: whatever cannot be removed now may be next time.
func removeStale(base string) {
	dirs, _ := filepath.Glob(filepath.Join(base, dirPrefix+"*")) // the pattern is valid
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, ownerFile))
		if err != nil {
			continue // not ours, or its owner has not written the file yet
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || processAlive(pid) {
			continue
		}
		_ = os.RemoveAll(d)
	}
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// command returns the server program name from the cluster's bin directory,
// to be run in the cluster's directory as the cluster's user.
func (c *cluster) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	cmd.Dir = c.dir
	cmd.SysProcAttr = procAttr(c.cred, false)
	return cmd
}

// init records the owning process, hands the directory to the postgres user
// when running as root, runs initdb and appends the test settings.
func (c *cluster) init() error {
	if err := os.WriteFile(filepath.Join(c.dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", ownerFile, err)
	}
	if c.cred != nil {
		if err := os.Chown(c.dir, int(c.cred.uid), int(c.cred.gid)); err != nil {
			return fmt.Errorf("hand %s to the postgres user: %w", c.dir, err)
		}
	}
	out, err := c.command("initdb", "-D", c.data, "-U", superuser, "--auth=trust",
		"--encoding=UTF8", "--locale=C", "--no-sync").CombinedOutput()
	if err != nil {
		return fmt.Errorf("initdb: %w\n%s", err, lastLines(string(out), 20))
	}
	conf := filepath.Join(c.data, "postgresql.conf")
	f, err := os.OpenFile(conf, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", conf, err)
	}
	if _, err := fmt.Fprintf(f, serverSettings, c.dir); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", conf, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", conf, err)
	}
	return nil
}

// logPath is the server's log: its standard output and error.
func (c *cluster) logPath() string { return filepath.Join(c.dir, "postgres.log") }

// start runs the postmaster on port and waits until it accepts connections.
// It returns an error wrapping errPortInUse when the port was taken.
func (c *cluster) start(port int) error {
	logf, err := os.OpenFile(c.logPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open server log: %w", err)
	}
	cmd := c.command("postgres", "-D", c.data, "-p", strconv.Itoa(port))
	cmd.SysProcAttr = procAttr(c.cred, true)
	cmd.Stdout, cmd.Stderr = logf, logf
	done, err := startPinned(cmd)
	logf.Close() // the server has its own descriptor
	if err != nil {
		return fmt.Errorf("run postgres: %w", err)
	}
	c.proc, c.done, c.port = cmd.Process, done, port

	deadline := time.Now().Add(startTimeout)
	admin := c.server().admin
	for {
		select {
		case <-done:
			log := c.logTail()
			if strings.Contains(log, "Address already in use") {
				return fmt.Errorf("port %d: %w", port, errPortInUse)
			}
			return fmt.Errorf("postgres exited during start-up; its log ends:\n%s", log)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.ConnectConfig(ctx, admin.Copy())
		if err == nil {
			err = conn.Close(ctx)
		}
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			_ = c.proc.Kill() // it failed to start; the error below says why
			<-done
			return fmt.Errorf("postgres not accepting connections after %v: %w; its log ends:\n%s",
				startTimeout, err, c.logTail())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// startPinned starts cmd from a goroutine locked to its OS thread, which then
// waits for cmd to exit and closes the returned channel. On Linux the
// parent-death signal fires when the thread that forked the child exits, not
// only the process, so the thread must live exactly as long as the child.
func startPinned(cmd *exec.Cmd) (<-chan struct{}, error) {
	started := make(chan error, 1)
	done := make(chan struct{})
	go func() {
		// Never unlocked: this thread exits with the goroutine, after the child.
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		_ = cmd.Wait() // the exit status is read from the log when it matters
		close(done)
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return done, nil
}

// server describes the cluster as a server for test databases.
func (c *cluster) server() *server {
	cfg, err := pgx.ParseConfig(fmt.Sprintf("host=127.0.0.1 port=%d user=%s dbname=postgres sslmode=disable connect_timeout=%d",
		c.port, superuser, int(connectTimeout/time.Second)))
	if err != nil {
		panic(fmt.Sprintf("pgtest: parse the cluster's own connection string: %v", err)) // a bug in this file
	}
	port := c.port
	return &server{
		admin: cfg,
		dsn: func(name string) string {
			return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable&connect_timeout=%d",
				superuser, port, name, int(connectTimeout/time.Second))
		},
	}
}

// stop shuts the server down at once (nothing in it is worth a checkpoint)
// and removes the cluster's directory.
func (c *cluster) stop() error {
	var errs []error
	select {
	case <-c.done:
	default:
		out, err := c.command("pg_ctl", "stop", "-D", c.data, "-m", "immediate", "-w").CombinedOutput()
		if err != nil {
			errs = append(errs, fmt.Errorf("pg_ctl stop: %w: %s", err, strings.TrimSpace(string(out))))
		}
		select {
		case <-c.done:
		case <-time.After(stopTimeout):
			if err := c.proc.Kill(); err != nil {
				errs = append(errs, fmt.Errorf("kill postgres (pid %d): %w", c.proc.Pid, err))
			}
			<-c.done
		}
	}
	if err := os.RemoveAll(c.dir); err != nil {
		errs = append(errs, fmt.Errorf("remove cluster directory: %w", err))
	}
	return errors.Join(errs...)
}

// logTail returns the end of the server's log, or why it cannot be read.
func (c *cluster) logTail() string {
	b, err := os.ReadFile(c.logPath())
	if err != nil {
		return fmt.Sprintf("(read server log: %v)", err)
	}
	return lastLines(string(b), 20)
}

// lastLines returns at most the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
