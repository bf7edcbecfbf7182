package web

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/internal/translog"
)

// logRoutes serves the transparency log to anyone (docs/transparency-log.md):
// the checkpoint, proofs, C2SP tiles and entry bundles, and takes
// witnesses' cosignatures. Rate limited per IP like the public pages.
func (s *Server) logRoutes(api fiber.Router) {
	lg := api.Group("/log", s.rateLimit(s.public))
	lg.Get("/checkpoint", s.logCheckpoint)
	lg.Get("/proof/inclusion", s.logInclusion)
	lg.Get("/proof/consistency", s.logConsistency)
	lg.Get("/tile/*", s.logTile)
	lg.Post("/cosignature", s.logCosignature)
}

func b64s(hs []translog.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = base64.StdEncoding.EncodeToString(h[:])
	}
	return out
}

// logCheckpoint serves the latest checkpoint with every cosignature the log
// holds for it (C2SP tlog-tiles: text/plain, not cached beyond seconds).
func (s *Server) logCheckpoint(c *fiber.Ctx) error {
	cp, err := s.d.TransLog.Published(c.UserContext())
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "public, max-age=5")
	return c.Send(cp.Published())
}

func queryInt(c *fiber.Ctx, name string) (int64, bool, error) {
	v := c.Query(name)
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != v {
		return 0, true, errs.Fields{name: "một số nguyên không âm"}.Err(errs.Invalid, "Tham số "+name+" không hợp lệ.")
	}
	return n, true, nil
}

// inclusionJSON is an inclusion proof. With no size asked, it is against
// the latest witnessed checkpoint and also given as a C2SP tlog-proof.
type inclusionJSON struct {
	Index      int64    `json:"index"`
	TreeSize   int64    `json:"tree_size"`
	Leaf       string   `json:"leaf"`      // base64 of the leaf's bytes
	LeafHash   string   `json:"leaf_hash"` // base64
	Hashes     []string `json:"hashes"`
	Checkpoint string   `json:"checkpoint,omitempty"`
	TlogProof  string   `json:"tlog_proof,omitempty"`
}

// logInclusion proves a leaf (by index or event_id) is in the tree of a
// size (default the latest witnessed checkpoint's).
func (s *Server) logInclusion(c *fiber.Ctx) error {
	ctx, lg := c.UserContext(), s.d.TransLog
	index, hasIndex, err := queryInt(c, "index")
	if err != nil {
		return err
	}
	size, hasSize, err := queryInt(c, "size")
	if err != nil {
		return err
	}
	ev := strings.ToLower(c.Query("event_id"))
	if hasIndex == (ev != "") {
		return errs.Fields{"index": "cho index hoặc event_id, một trong hai"}.Err(errs.Invalid, "Cần số thứ tự mục (index) hoặc mã sự kiện (event_id).")
	}
	var leaf app.LogLeaf
	if ev != "" {
		if _, err := uuid.Parse(ev); err != nil {
			return errs.Fields{"event_id": "mã sự kiện là một UUID"}.Err(errs.Invalid, "Mã sự kiện không hợp lệ.")
		}
		leaf, err = lg.Store.LogLeafByRef(ctx, translog.KindEvent, ev)
	} else {
		leaf, err = lg.Store.LogLeaf(ctx, index)
	}
	if errs.Is(err, errs.NotFound) {
		return errs.E(errs.NotFound, "Sự kiện chưa có trong sổ minh bạch (hoặc không tồn tại).")
	}
	if err != nil {
		return err
	}
	out := inclusionJSON{Index: leaf.Index, Leaf: base64.StdEncoding.EncodeToString(leaf.Body)}
	lh := translog.LeafHash(leaf.Body)
	out.LeafHash = base64.StdEncoding.EncodeToString(lh[:])
	if !hasSize {
		b, err := lg.BundleFor(ctx, leaf.Kind, leaf.Ref)
		if err == app.ErrNoCheckpoint {
			return errs.E(errs.Conflict, "Mục %d chưa nằm trong điểm kiểm nào đã được nhân chứng ký; thử lại sau ít phút.", leaf.Index)
		}
		if err != nil {
			return err
		}
		out.TreeSize, out.Hashes = b.Checkpoint.Size, b64s(b.Proof.Hashes)
		out.Checkpoint, out.TlogProof = string(b.Proof.Checkpoint), string(b.Proof.Text())
		return c.JSON(out)
	}
	p, err := lg.InclusionProof(ctx, leaf.Index, size)
	if err != nil {
		return err
	}
	out.TreeSize, out.Hashes = size, b64s(p)
	return c.JSON(out)
}

type consistencyJSON struct {
	From   int64    `json:"from"`
	To     int64    `json:"to"`
	Hashes []string `json:"hashes"`
}

// logConsistency proves the tree of size from is a prefix of the tree of
// size to.
func (s *Server) logConsistency(c *fiber.Ctx) error {
	from, okFrom, err := queryInt(c, "from")
	if err != nil {
		return err
	}
	to, okTo, err := queryInt(c, "to")
	if err != nil {
		return err
	}
	if !okFrom || !okTo {
		return errs.Fields{"from": "bắt buộc", "to": "bắt buộc"}.Err(errs.Invalid, "Cần kích thước cây from và to.")
	}
	p, err := s.d.TransLog.ConsistencyProof(c.UserContext(), from, to)
	if err != nil {
		return err
	}
	return c.JSON(consistencyJSON{From: from, To: to, Hashes: b64s(p)})
}

// logTile serves a C2SP tile or entry bundle; both are immutable.
func (s *Server) logTile(c *fiber.Ctx) error {
	t, entries, err := translog.ParseTilePath("tile/" + c.Params("*"))
	if err != nil {
		return errs.E(errs.NotFound, "Không có ô (tile) này.")
	}
	var body []byte
	if entries {
		body, err = s.d.TransLog.Entries(c.UserContext(), t)
	} else {
		body, err = s.d.TransLog.Tile(c.UserContext(), t)
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/octet-stream")
	c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	return c.Send(body)
}

// logCosignature takes a witness's cosignature: the body is the checkpoint
// the log signed followed by the witness's signature line(s), as the
// witness's co-signed note.
func (s *Server) logCosignature(c *fiber.Ctx) error {
	body := c.Body()
	if len(body) > translog.MaxNoteSize {
		return errs.E(errs.Invalid, "Nội dung quá dài.")
	}
	n, err := s.d.TransLog.AddCosignature(c.UserContext(), append([]byte(nil), body...))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"added": n})
}
