package vrptw

import "sort"

func sortStable(list []int32, key func(int32) float64) {
	sort.SliceStable(list, func(a, b int) bool { return key(list[a]) < key(list[b]) })
}
