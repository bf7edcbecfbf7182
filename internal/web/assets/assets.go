// Package assets serves the embedded static files of the web pages (CSS,
// fonts, vendored JavaScript and WebAssembly) under content-hashed URLs.
//
// Every file under static/ is read and hashed (sha256) once, in New. Pages ask
// for a URL with URL or Href, which append the first ten hex digits of the
// hash as a query parameter:
//
//	/static/css/app.css?v=3f2a9c01be
//
// The server answers /static/... requests with Open. When the v parameter
// equals the file's current hash, Open reports the response as immutable and
// the server can send "Cache-Control: public, max-age=31536000, immutable";
// any other request for an existing file (no v, or an old v) gets the current
// bytes and should be revalidated ("Cache-Control: no-cache" plus an ETag
// from Sum).
//
// Why a query parameter and not a hashed file name (app.3f2a9c01be.css):
//   - Relative references inside files keep working without rewriting:
//     fonts.css points at ../vendor/be-vietnam-pro/*.woff2, leaflet.css at
//     images/, ES modules import each other by path, and the service worker
//     precaches stable paths. A renamed file would break every such reference
//     unless each file were rewritten at start-up.
//   - A page rendered before a deploy and asking for an old v still gets a
//     200 with the current file (only not marked immutable), never a 404.
//   - The path on disk, in the embed, in the vendor manifest and in the URL
//     is the same string, which keeps logs and the CSP report readable.
//
// Files referenced only from other files (the woff2 fonts from fonts.css)
// are therefore fetched without v and revalidated; they are small and an
// ETag answer is a 304 without a body.
package assets

import (
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"sort"
	"strings"
)

//go:embed static
var embedded embed.FS

// Prefix is the URL path under which the server mounts the static files.
const Prefix = "/static/"

// hashLen is the number of hex digits of the sha256 used in URLs: 40 bits,
// plenty to tell versions of one file apart.
const hashLen = 10

// ErrNotFound is returned (wrapped) by URL for a name that is not an
// embedded file.
var ErrNotFound = errors.New("asset not found")

// file is one static file with its precomputed metadata.
type file struct {
	body        []byte
	sum         [sha256.Size]byte
	short       string // first hashLen hex digits of sum
	contentType string
}

// Assets holds every static file and its hash. It is immutable after New
// and safe for concurrent use.
type Assets struct {
	files   map[string]*file // by name relative to static/, e.g. "css/app.css"
	version string
}

// New reads and hashes every file embedded under static/.
func New() (*Assets, error) {
	sub, err := fs.Sub(embedded, "static")
	if err != nil {
		return nil, fmt.Errorf("assets: open embedded static: %w", err)
	}
	return newFromFS(sub)
}

// newFromFS builds Assets from any file system whose root is the static
// directory (tests pass an fstest.MapFS).
func newFromFS(fsys fs.FS) (*Assets, error) {
	a := &Assets{files: make(map[string]*file)}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("walk %q: %w", name, err)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return fmt.Errorf("read %q: %w", name, err)
		}
		sum := sha256.Sum256(body)
		a.files[name] = &file{
			body:        body,
			sum:         sum,
			short:       hex.EncodeToString(sum[:])[:hashLen],
			contentType: ContentType(name),
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("assets: %w", err)
	}
	a.version = a.computeVersion()
	return a, nil
}

// computeVersion hashes the sorted list of (name, hash) pairs.
func (a *Assets) computeVersion() string {
	h := sha256.New()
	for _, name := range a.Names() {
		f := a.files[name]
		h.Write([]byte(name))
		h.Write([]byte{0})
		h.Write(f.sum[:])
	}
	return hex.EncodeToString(h.Sum(nil))[:hashLen]
}

// clean turns a name as written in a template ("css/app.css",
// "/static/css/app.css" or "static/css/app.css") into the key of the files
// map, and reports whether it is a valid file name at all.
func clean(name string) (string, bool) {
	name = strings.TrimPrefix(name, "/")
	name = strings.TrimPrefix(name, strings.TrimPrefix(Prefix, "/"))
	if name == "" || !fs.ValidPath(name) {
		return "", false
	}
	return name, true
}

// URL returns the content-hashed URL of the static file name (a path
// relative to static/, such as "css/app.css"; a leading "/static/" is
// accepted too), for example "/static/css/app.css?v=3f2a9c01be". It returns
// an error wrapping ErrNotFound for a name that is not an embedded file.
func (a *Assets) URL(name string) (string, error) {
	key, ok := clean(name)
	if !ok {
		return "", fmt.Errorf("assets: url %q: %w", name, ErrNotFound)
	}
	f, ok := a.files[key]
	if !ok {
		return "", fmt.Errorf("assets: url %q: %w", name, ErrNotFound)
	}
	return Prefix + key + "?v=" + f.short, nil
}

// Href is URL for templates: it returns "" for an unknown name and logs
// nothing, so a typo shows up as a missing resource in the browser test
// rather than as a failed page. Register it as a template function, e.g.
// template.FuncMap{"asset": a.Href}, and write {{asset "css/app.css"}}.
// A start-up check should still call URL for every name the templates use.
func (a *Assets) Href(name string) string {
	u, err := a.URL(name)
	if err != nil {
		return ""
	}
	return u
}

// Open looks up the file for a request. urlPath is the request path with or
// without its query string ("/static/css/app.css?v=3f2a9c01be"); the
// "/static/" prefix may be present or already stripped. It returns the
// file's bytes (shared: the caller must not modify them), its Content-Type,
// whether the request named the current hash (so the response may be cached
// as immutable), and ok=false when there is no such file.
func (a *Assets) Open(urlPath string) (body []byte, contentType string, immutable bool, ok bool) {
	p, rawQuery, _ := strings.Cut(urlPath, "?")
	key, valid := clean(p)
	if !valid {
		return nil, "", false, false
	}
	f, found := a.files[key]
	if !found {
		return nil, "", false, false
	}
	if rawQuery != "" {
		if q, err := url.ParseQuery(rawQuery); err == nil {
			immutable = q.Get("v") == f.short
		}
	}
	return f.body, f.contentType, immutable, true
}

// Sum returns the full hex sha256 of the static file name, for use as a
// strong ETag (quote it: `"` + sum + `"`). ok is false for an unknown name.
func (a *Assets) Sum(name string) (sum string, ok bool) {
	key, valid := clean(name)
	if !valid {
		return "", false
	}
	f, found := a.files[key]
	if !found {
		return "", false
	}
	return hex.EncodeToString(f.sum[:]), true
}

// Integrity returns the Subresource Integrity value ("sha256-<base64>") of
// the static file name, for <script integrity=...>. It returns an error
// wrapping ErrNotFound for an unknown name.
func (a *Assets) Integrity(name string) (string, error) {
	key, valid := clean(name)
	f, found := a.files[key]
	if !valid || !found {
		return "", fmt.Errorf("assets: integrity %q: %w", name, ErrNotFound)
	}
	return "sha256-" + base64.StdEncoding.EncodeToString(f.sum[:]), nil
}

// Names returns the names of all static files (relative to static/), sorted.
// The courier app's service worker precache list can be built from it.
func (a *Assets) Names() []string {
	names := make([]string, 0, len(a.files))
	for name := range a.files {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Version returns a short hash over all files and their names: it changes
// whenever any static file changes, so it can name a service worker cache.
func (a *Assets) Version() string { return a.version }

// contentTypes maps file extensions to the Content-Type the server sends.
// Text types carry charset=utf-8; .wasm must be application/wasm for
// WebAssembly.instantiateStreaming.
var contentTypes = map[string]string{
	".js":          "text/javascript; charset=utf-8",
	".mjs":         "text/javascript; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".html":        "text/html; charset=utf-8",
	".json":        "application/json",
	".webmanifest": "application/manifest+json",
	".map":         "application/json",
	".woff2":       "font/woff2",
	".woff":        "font/woff",
	".wasm":        "application/wasm",
	".svg":         "image/svg+xml",
	".png":         "image/png",
	".ico":         "image/x-icon",
	".jpg":         "image/jpeg",
	".jpeg":        "image/jpeg",
	".webp":        "image/webp",
	".txt":         "text/plain; charset=utf-8",
	".md":          "text/plain; charset=utf-8",
}

// ContentType returns the Content-Type for a static file name by its
// extension. Extension-less licence files (LICENSE, NOTICE) are plain text;
// anything else unknown is application/octet-stream.
func ContentType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if ct, ok := contentTypes[ext]; ok {
		return ct
	}
	base := strings.ToUpper(path.Base(name))
	if strings.HasPrefix(base, "LICENSE") || strings.HasPrefix(base, "LICENCE") || strings.HasPrefix(base, "NOTICE") {
		return "text/plain; charset=utf-8"
	}
	return "application/octet-stream"
}
