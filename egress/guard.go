package egress

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
)

// Resolver looks up the addresses of a host name. *net.Resolver satisfies it.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Dialer opens a connection. *net.Dialer satisfies it.
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// guard is the transport's dial function: it resolves the host itself,
// checks every address, and connects to a checked address, never to the
// name, so DNS cannot answer differently between the check and the connect.
type guard struct {
	resolver     Resolver
	dialer       Dialer
	allowPrivate bool
}

// blockedError is a dial refused because the host resolved to an address
// of a special range.
type blockedError struct {
	host   string
	ip     netip.Addr
	reason string
}

func (e *blockedError) Error() string {
	if e.host == e.ip.String() {
		return fmt.Sprintf("%s is a %s address", e.host, e.reason)
	}
	return fmt.Sprintf("%s resolves to %s, a %s address", e.host, e.ip, e.reason)
}

func (g *guard) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("port %q: %w", portText, err)
	}
	ips, err := g.resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, ip := range ips {
		c, err := g.dialer.DialContext(ctx, network, netip.AddrPortFrom(ip, uint16(port)).String())
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

// resolve returns the addresses of host, unmapped, after checking all of
// them: one private answer among public ones refuses the host, since a
// rebinding attacker would answer exactly so.
func (g *guard) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		ips = []netip.Addr{ip}
	} else {
		if ips, err = g.resolver.LookupNetIP(ctx, "ip", host); err != nil {
			return nil, err
		}
		if len(ips) == 0 {
			return nil, fmt.Errorf("no address for %s", host)
		}
	}
	for i, ip := range ips {
		ips[i] = ip.Unmap()
		if why := specialRange(ips[i]); why != "" && !g.allowPrivate {
			return nil, &blockedError{host: host, ip: ips[i], reason: why}
		}
	}
	return ips, nil
}

// specialRanges are the prefixes that are not the public internet, beyond
// what netip's predicates cover.
var specialRanges = []struct {
	prefix netip.Prefix
	why    string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), `"this network" (0.0.0.0/8)`},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared (carrier-grade NAT)"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignment"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"},
	{netip.MustParsePrefix("::/96"), "IPv4-compatible IPv6"},
	{netip.MustParsePrefix("100::/64"), "discard-only IPv6"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "local-use NAT64"},
	{netip.MustParsePrefix("fec0::/10"), "site-local IPv6"},
}

// specialRange names the range of a non-public address, or returns "".
// NAT64 and 6to4 addresses are judged by the IPv4 address they embed.
func specialRange(ip netip.Addr) string {
	ip = ip.Unmap()
	switch {
	case ip.IsUnspecified():
		return "unspecified"
	case ip.IsLoopback():
		return "loopback"
	case ip == netip.MustParseAddr("169.254.169.254"):
		return "link-local (cloud metadata)"
	case ip.IsLinkLocalUnicast():
		return "link-local"
	case ip.Is4() && ip.IsPrivate():
		return "private (RFC 1918)"
	case ip.IsPrivate():
		return "unique-local IPv6 (fc00::/7)"
	case ip.IsMulticast():
		return "multicast"
	}
	if v4, ok := embeddedIPv4(ip); ok {
		return specialRange(v4)
	}
	for _, r := range specialRanges {
		if r.prefix.Contains(ip) {
			return r.why
		}
	}
	return ""
}

var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
)

func embeddedIPv4(ip netip.Addr) (netip.Addr, bool) {
	b := ip.As16()
	switch {
	case nat64.Contains(ip):
		return netip.AddrFrom4([4]byte(b[12:16])), true
	case sixToFour.Contains(ip):
		return netip.AddrFrom4([4]byte(b[2:6])), true
	}
	return netip.Addr{}, false
}
