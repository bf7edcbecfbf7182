package vrptw

import "math"

// rng is a small, fast, seedable generator (xoshiro256**), kept per solve so
// that runs are reproducible and no global state is shared.
type rng struct{ s [4]uint64 }

func newRNG(seed uint64) *rng {
	r := &rng{}
	x := seed
	for i := range r.s {
		// splitmix64
		x += 0x9e3779b97f4a7c15
		z := x
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		r.s[i] = z ^ (z >> 31)
	}
	return r
}

func rotl(x uint64, k uint) uint64 { return (x << k) | (x >> (64 - k)) }

func (r *rng) next() uint64 {
	s := &r.s
	res := rotl(s[1]*5, 7) * 9
	t := s[1] << 17
	s[2] ^= s[0]
	s[3] ^= s[1]
	s[1] ^= s[2]
	s[0] ^= s[3]
	s[2] ^= t
	s[3] = rotl(s[3], 45)
	return res
}

// intn returns a number in [0, n); n must be positive.
func (r *rng) intn(n int) int { return int((r.next() >> 33) % uint64(n)) }

// float returns a number in [0, 1).
func (r *rng) float() float64 { return float64(r.next()>>11) / (1 << 53) }

// logU returns ln(U) for U uniform in (0, 1].
func (r *rng) logU() float64 { return math.Log(1 - r.float()) }

// geometric returns how many trials pass before the first success of
// probability q (q in (0, 1)).
func (r *rng) geometric(q float64) int {
	g := math.Log(1-r.float()) / math.Log1p(-q)
	if g > 1e9 {
		return 1e9
	}
	return int(g)
}
