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
	"syscall"
	"testing"
	"time"
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
	// cred runs the server's programs as the postgres account when the
	// test runs as root (initdb and PgBouncer refuse root).
	cred *syscall.Credential
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
		u, err := user.Lookup("postgres")
		if err != nil {
			tb.Fatalf("running as root needs the postgres account for initdb: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
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
	return c.asOwner(exec.Command(filepath.Join(c.bin, prog), args...))
}

// asOwner runs cmd as the cluster's owner.
func (c *Cluster) asOwner(cmd *exec.Cmd) *exec.Cmd {
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	return cmd
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

// PgBouncer is a PgBouncer in transaction mode in front of a cluster, for
// tests of what a transaction-mode pooler breaks (session state, LISTEN,
// session advisory locks).
type PgBouncer struct {
	Port int
}

// NewPgBouncer starts PgBouncer in transaction mode in front of c, with at
// most poolSize server connections per database; it is stopped when the
// test ends.
func (c *Cluster) NewPgBouncer(poolSize int) *PgBouncer {
	tb := c.tb
	tb.Helper()
	bin := Tool(tb, "pgbouncer")
	dir := filepath.Dir(c.dir)
	b := &PgBouncer{Port: freePort(tb)}
	users := filepath.Join(dir, "users.txt")
	ini := filepath.Join(dir, "pgbouncer.ini")
	conf := fmt.Sprintf(`[databases]
* = host=127.0.0.1 port=%d

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir = %s
auth_type = trust
auth_file = %s
pool_mode = transaction
default_pool_size = %d
max_client_conn = 1000
logfile = %s
pidfile = %s
`, c.port, b.Port, dir, users, poolSize, filepath.Join(dir, "pgbouncer.log"), filepath.Join(dir, "pgbouncer.pid"))
	for path, body := range map[string]string{users: `"postgres" ""` + "\n", ini: conf} {
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	cmd := c.asOwner(exec.Command(bin, ini))
	if err := cmd.Start(); err != nil {
		tb.Fatalf("pgbouncer: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }() //nolint:errcheck
	tb.Cleanup(func() {
		// SIGTERM: immediate shutdown (SIGINT would wait for clients).
		cmd.Process.Signal(syscall.SIGTERM) //nolint:errcheck
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill() //nolint:errcheck
			<-done
		}
	})
	// Wait until it accepts connections.
	for i := 0; ; i++ {
		conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", b.Port))
		if err == nil {
			conn.Close()
			return b
		}
		if i > 200 {
			log, _ := os.ReadFile(filepath.Join(dir, "pgbouncer.log"))
			tb.Fatalf("pgbouncer did not start: %v\n%s", err, log)
		}
		sleepBriefly()
	}
}

// URL is the connection URL of a database through the pooler.
func (b *PgBouncer) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", b.Port, db)
}

// sleepBriefly waits between polls of a starting server.
func sleepBriefly() { time.Sleep(25 * time.Millisecond) }

// Port is the cluster's TCP port on 127.0.0.1.
func (c *Cluster) Port() int { return c.port }
