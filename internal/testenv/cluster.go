package testenv

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// Cluster is a PostgreSQL server of the test's own: initdb in a temporary
// directory, listening on a free loopback port, stopped when the test ends.
// A test that restarts or kills PostgreSQL uses one, so it disturbs nobody
// else using the machine's server.
type Cluster struct {
	tb   testing.TB
	bin  string // directory of initdb, pg_ctl
	dir  string // data directory
	port int
	// asUser runs the server's programs as the postgres account when the
	// test runs as root (initdb refuses root).
	asUser string
}

// NewCluster creates and starts a cluster; it fails the test when the
// PostgreSQL server programs are not installed.
func NewCluster(tb testing.TB) *Cluster {
	tb.Helper()
	bin := serverBin()
	if bin == "" {
		tb.Fatalf("the PostgreSQL server programs (initdb, pg_ctl) are not installed: run sudo apt-get install -y postgresql")
	}
	c := &Cluster{tb: tb, bin: bin}
	base, err := os.MkdirTemp("", "hoso-pg-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(base) })
	c.dir = filepath.Join(base, "data")
	if os.Geteuid() == 0 {
		c.asUser = "postgres"
		u, err := user.Lookup("postgres")
		if err != nil {
			tb.Fatalf("running as root needs the postgres account for initdb: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(base, uid, gid); err != nil {
			tb.Fatal(err)
		}
	}
	c.port = freePort(tb)
	if out, err := c.cmd("initdb", "-D", c.dir, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8").CombinedOutput(); err != nil {
		tb.Fatalf("initdb: %v\n%s", err, out)
	}
	conf := fmt.Sprintf("\nlisten_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = '%s'\nfsync = on\nmax_connections = 100\n", c.port, base)
	f, err := os.OpenFile(filepath.Join(c.dir, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := f.WriteString(conf); err != nil {
		tb.Fatal(err)
	}
	f.Close()
	c.Start()
	tb.Cleanup(func() {
		c.cmd("pg_ctl", "-D", c.dir, "-m", "immediate", "-w", "stop").Run() //nolint:errcheck
	})
	return c
}

// URL is the connection URL of a database of this cluster.
func (c *Cluster) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, db)
}

// Start starts the server and waits until it accepts connections.
func (c *Cluster) Start() {
	c.tb.Helper()
	if out, err := c.cmd("pg_ctl", "-D", c.dir, "-l", filepath.Join(filepath.Dir(c.dir), "log"), "-w", "-t", "60", "start").CombinedOutput(); err != nil {
		c.tb.Fatalf("pg_ctl start: %v\n%s", err, out)
	}
}

// Restart stops the server (fast shutdown: sessions are cut, as in a real
// restart) and starts it again.
func (c *Cluster) Restart() {
	c.tb.Helper()
	if out, err := c.cmd("pg_ctl", "-D", c.dir, "-m", "fast", "-w", "-t", "60", "restart", "-l", filepath.Join(filepath.Dir(c.dir), "log")).CombinedOutput(); err != nil {
		c.tb.Fatalf("pg_ctl restart: %v\n%s", err, out)
	}
}

func (c *Cluster) cmd(prog string, args ...string) *exec.Cmd {
	path := filepath.Join(c.bin, prog)
	if c.asUser != "" {
		return exec.Command("runuser", append([]string{"-u", c.asUser, "--", path}, args...)...)
	}
	return exec.Command(path, args...)
}

// serverBin finds the newest installed PostgreSQL's program directory.
func serverBin() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p)
	}
	return ""
}

func version(binDir string) int {
	v, _ := strconv.Atoi(strings.Split(filepath.Base(filepath.Dir(binDir)), ".")[0])
	return v
}

func freePort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
