package exemap

import (
	"bufio"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"syscall"
)

// release advises the executable's read-only mappings (readOnly).
func release() (int64, error) {
	maps, err := readOnly()
	if err != nil {
		return 0, err
	}
	var n int64
	for _, m := range maps {
		if _, _, e := syscall.Syscall(syscall.SYS_MADVISE, uintptr(m.lo), uintptr(m.hi-m.lo), syscall.MADV_DONTNEED); e != 0 {
			return n, fmt.Errorf("releasing the executable's pages: madvise %#x-%#x: %w", m.lo, m.hi, e)
		}
		n += int64(m.hi - m.lo)
	}
	return n, nil
}

// readOnly finds the mapping holding Release's own code, then returns every
// read-only, private mapping of the same file (device and inode), which are
// the executable's code and read-only data.
func readOnly() ([]mapping, error) {
	maps, err := readMaps()
	if err != nil {
		return nil, err
	}
	pc := uint64(reflect.ValueOf(Release).Pointer())
	var exe *mapping
	for i, m := range maps {
		if m.lo <= pc && pc < m.hi {
			exe = &maps[i]
			break
		}
	}
	if exe == nil || exe.inode == 0 {
		return nil, fmt.Errorf("releasing the executable's pages: no file mapping holds the code at %#x", pc)
	}
	var ro []mapping
	for _, m := range maps {
		if m.dev == exe.dev && m.inode == exe.inode && m.perms[1] != 'w' && m.perms[3] == 'p' {
			ro = append(ro, m)
		}
	}
	return ro, nil
}

// mapping is a line of /proc/self/maps.
type mapping struct {
	lo, hi uint64
	perms  string // "r-xp": read, write, execute, private or shared
	dev    string
	inode  uint64
}

func readMaps() ([]mapping, error) {
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return nil, fmt.Errorf("releasing the executable's pages: %w", err)
	}
	defer f.Close()
	var maps []mapping
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m, ok := parseMapping(sc.Text()); ok {
			maps = append(maps, m)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("releasing the executable's pages: reading /proc/self/maps: %w", err)
	}
	return maps, nil
}

// parseMapping parses "lo-hi perms offset dev inode [path]".
func parseMapping(line string) (mapping, bool) {
	f := strings.Fields(line)
	if len(f) < 5 || len(f[1]) != 4 {
		return mapping{}, false
	}
	a, b, ok := strings.Cut(f[0], "-")
	lo, err1 := strconv.ParseUint(a, 16, 64)
	hi, err2 := strconv.ParseUint(b, 16, 64)
	inode, err3 := strconv.ParseUint(f[4], 10, 64)
	if !ok || err1 != nil || err2 != nil || err3 != nil || hi <= lo {
		return mapping{}, false
	}
	return mapping{lo: lo, hi: hi, perms: f[1], dev: f[3], inode: inode}, true
}
