package config

import (
	"net/url"
	"strings"
)

// database checks the PostgreSQL settings. database_url is a secret
// whether written out or expanded from ${VAR}: it and its password are
// scrubbed from logs and results, and no message here repeats it.
func (p *parser) database(r *rawCodemode, c *Codemode) error {
	if r.DatabaseConnectTimeout != "" {
		d, err := p.duration("codemode.database_connect_timeout", r.DatabaseConnectTimeout)
		if err != nil {
			return err
		}
		c.DatabaseConnectTimeout = d
	}
	if err := p.notNegative("codemode", map[string]int64{"database_max_conns": int64(r.DatabaseMaxConns)}); err != nil {
		return err
	}
	c.DatabaseMaxConns = r.DatabaseMaxConns
	if r.DatabaseURL == "" {
		return nil
	}
	const key = "codemode.database_url"
	v, err := p.exp.expand(key, r.DatabaseURL)
	if err != nil {
		return p.wrap(err)
	}
	p.exp.remember(v)
	if err := p.databaseURL(key, v); err != nil {
		return err
	}
	if r.DataDir != "" {
		return p.errorf(key, "is set together with codemode.data_dir; keep one: database_url keeps everything in PostgreSQL, "+
			"data_dir in a SQLite file in that directory")
	}
	c.DatabaseURL = v
	return nil
}

// databaseURL refuses a URL that is not PostgreSQL's, naming only its
// scheme.
func (p *parser) databaseURL(key, v string) error {
	l := strings.ToLower(v)
	if !strings.HasPrefix(l, "postgres://") && !strings.HasPrefix(l, "postgresql://") {
		scheme, _, ok := strings.Cut(v, "://")
		if !ok {
			scheme = "no scheme"
		}
		return p.errorf(key, "is not a PostgreSQL URL (it has %s); write postgres://USER:PASSWORD@HOST:PORT/DATABASE, "+
			"or leave it out to keep the data under codemode.data_dir", quoteScheme(scheme, ok))
	}
	u, err := url.Parse(v)
	if err != nil {
		return p.errorf(key, "cannot be parsed as a URL; write postgres://USER:PASSWORD@HOST:PORT/DATABASE, "+
			"percent-encoding special characters in the password (@ as %%40, / as %%2F)")
	}
	if pw, ok := u.User.Password(); ok {
		p.exp.remember(pw)
	}
	return nil
}

func quoteScheme(s string, ok bool) string {
	if !ok || len(s) > 20 {
		return "no postgres:// scheme"
	}
	return "scheme " + strings.ToLower(s) + "://"
}
