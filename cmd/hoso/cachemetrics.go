package main

import (
	"hoso/internal/viewcache"
	"hoso/internal/web"
)

// cacheMetrics are the public timeline cache's figures on /metrics:
// whether it follows PostgreSQL's change feed (it stores nothing while it
// does not), its size, hits and fills.
func cacheMetrics(c *viewcache.Cache) []web.MetricFunc {
	stat := func(f func(viewcache.Stats) float64) func() float64 { return func() float64 { return f(c.Stats()) } }
	return []web.MetricFunc{
		{Name: "hoso_public_cache_listening", Help: "1 while the public timeline cache follows the database's change feed (it stores nothing otherwise)",
			Value: stat(func(s viewcache.Stats) float64 {
				if s.Listening {
					return 1
				}
				return 0
			})},
		{Name: "hoso_public_cache_entries", Help: "public timelines held in memory", Value: stat(func(s viewcache.Stats) float64 { return float64(s.Entries) })},
		{Name: "hoso_public_cache_hits_total", Help: "public timeline requests answered from memory", Counter: true, Value: stat(func(s viewcache.Stats) float64 { return float64(s.Hits) })},
		{Name: "hoso_public_cache_stored_total", Help: "public timelines stored after a database read", Counter: true, Value: stat(func(s viewcache.Stats) float64 { return float64(s.Stored) })},
	}
}
