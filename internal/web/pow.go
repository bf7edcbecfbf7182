package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"math/bits"
	"time"

	"github.com/gofiber/fiber/v2"

	"hoso/internal/errs"
)

// A proof-of-work challenge, needing no outside service: once a client
// address asked for a few one-time codes in a day, its next request must
// carry a nonce such that SHA-256(challenge ":" nonce) starts with Bits zero
// bits. The page's script finds one (a second or so on a phone); a script
// sending thousands of requests pays it thousands of times. The challenge
// is signed, bound to the visitor's cookie, good for ten minutes and once.

const powTTL = 10 * time.Minute

// powLen: 16 random bytes, the expiry (8), the bits (1), the MAC (16).
const powLen = 16 + 8 + 1 + 16

func (s *Server) powMAC(binding string, body []byte) []byte {
	h, _ := hex.DecodeString(s.d.Auth.CSRFToken("pow\x00" + binding + "\x00" + hex.EncodeToString(body)))
	return h[:16]
}

// newChallenge issues a challenge for this visitor.
func (s *Server) newChallenge(c *fiber.Ctx) string {
	b := make([]byte, 0, powLen)
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		panic("web: crypto/rand failed: " + err.Error())
	}
	b = append(b, id...)
	b = binary.BigEndian.AppendUint64(b, uint64(s.d.Now().Add(powTTL).Unix()))
	b = append(b, byte(s.d.PowBits))
	b = append(b, s.powMAC(s.csrfBinding(c, true), b)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// powLeadingZeros counts the leading zero bits of SHA-256(challenge ":" nonce).
func powLeadingZeros(challenge, nonce string) int {
	sum := sha256.Sum256([]byte(challenge + ":" + nonce))
	n := 0
	for _, x := range sum {
		if x == 0 {
			n += 8
			continue
		}
		return n + bits.LeadingZeros8(x)
	}
	return n
}

// checkChallenge accepts a solved, fresh, unused challenge issued to this
// visitor, and spends it.
func (s *Server) checkChallenge(c *fiber.Ctx, challenge, nonce string) error {
	bad := errs.E(errs.Forbidden, "Bước kiểm tra chống gửi tự động chưa hoàn tất hoặc đã hết hạn. Vui lòng thử lại.")
	b, err := base64.RawURLEncoding.DecodeString(challenge)
	if err != nil || len(b) != powLen || len(nonce) == 0 || len(nonce) > 32 {
		return bad
	}
	body, mac := b[:powLen-16], b[powLen-16:]
	binding := s.csrfBinding(c, false)
	if binding == "" || !hmac.Equal(mac, s.powMAC(binding, body)) {
		return bad
	}
	exp := time.Unix(int64(binary.BigEndian.Uint64(body[16:24])), 0)
	need := int(body[24])
	if s.d.Now().After(exp) || need < s.d.PowBits || powLeadingZeros(challenge, nonce) < need {
		return bad
	}
	fresh, err := s.d.Citizen.SpendChallenge(c.UserContext(), body[:16], exp)
	if err != nil {
		return err
	}
	if !fresh {
		return bad
	}
	return nil
}
