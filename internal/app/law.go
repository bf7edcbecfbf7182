package app

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"hoso/internal/errs"
	"hoso/internal/vntext"
)

// Citation keys: where a page or paper cites the law.
const (
	// CiteLostOriginal is cited where a lost or damaged dossier is handled:
	// the incident page, the lost-original case and the written apology.
	CiteLostOriginal = "lost_original"
)

// DefaultCitation is the decree in force on one-stop handling since
// 1 July 2025, cited when the table cannot be read. No article: the
// article is named only once someone has checked it.
const DefaultCitation = "Nghị định 118/2025/NĐ-CP"

// replacedDecrees are no longer in force and never cited.
var replacedDecrees = []string{"61/2018", "107/2021"}

// Citation is one place the law is cited, as the admin set it.
type Citation struct {
	Key, Label, Text string
	UpdatedAt        time.Time
}

// LawStore keeps the citations.
type LawStore interface {
	FindCitations(ctx context.Context) ([]Citation, error)
	// SetCitation changes one citation and writes its audit row in one
	// transaction; not found for an unknown key.
	SetCitation(ctx context.Context, key, text string, by int64, at time.Time) error
}

// Law gives pages and papers the law to cite, from one place the admin edits.
type Law struct {
	Store LawStore
	Now   func() time.Time
}

// Cite returns the citation of a key, the decree in force when the table
// cannot be read.
func (l *Law) Cite(ctx context.Context, key string) string {
	if l == nil || l.Store == nil {
		return DefaultCitation
	}
	cs, err := l.Store.FindCitations(ctx)
	if err != nil {
		return DefaultCitation
	}
	for _, c := range cs {
		if c.Key == key {
			return c.Text
		}
	}
	return DefaultCitation
}

// Citations lists every citation for the admin's page.
func (l *Law) Citations(ctx context.Context) ([]Citation, error) { return l.Store.FindCitations(ctx) }

// Set changes a citation: admins only, plain text of 3 to 300 characters,
// never a replaced decree. Audited.
func (l *Law) Set(ctx context.Context, u User, key, text string) error {
	if u.Role != RoleAdmin {
		return errs.E(errs.Forbidden, "Chỉ quản trị viên được sửa căn cứ pháp lý.")
	}
	text = strings.Join(strings.Fields(vntext.NFC(text)), " ")
	field := func(msg string) error {
		return errs.E(errs.Invalid, "Căn cứ pháp lý chưa hợp lệ").WithFields(map[string]string{key: msg})
	}
	switch n := utf8.RuneCountInString(text); {
	case !utf8.ValidString(text) || vntext.HasControl(text):
		return field("Chứa ký tự không hợp lệ.")
	case n < 3:
		return field("Nhập văn bản cần dẫn, ví dụ " + DefaultCitation + ".")
	case n > 300:
		return field("Dài quá 300 ký tự.")
	}
	for _, d := range replacedDecrees {
		if strings.Contains(text, d) {
			return field("Văn bản " + d + " đã hết hiệu lực; hãy dẫn văn bản đang có hiệu lực, ví dụ " + DefaultCitation + ".")
		}
	}
	return l.Store.SetCitation(ctx, key, text, u.ID, l.Now())
}
