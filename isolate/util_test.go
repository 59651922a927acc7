package isolate

import "strconv"

func strconvItoa(i int) string { return strconv.Itoa(i) }

func atoi(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}
