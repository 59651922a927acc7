package typegen

import "testing"

var literalCases = []featureCase{
	{"enum strings", `{"type":"string","enum":["a","b"]}`, `"a" | "b"`},
	{"enum mixed", `{"enum":["a",1,true,null]}`, `"a" | 1 | true | null`},
	{"enum duplicates", `{"enum":["a","a"]}`, `"a"`},
	{"enum empty", `{"enum":[]}`, `never`},
	{"enum escapes", `{"enum":["say \"hi\"","a\\b","<&>","line\nbreak"]}`, `"say \"hi\"" | "a\\b" | "<&>" | "line\nbreak"`},
	{"enum numbers kept as written", `{"enum":[1.50,-2,1e3]}`, `1.50 | -2 | 1e3`},
	{"enum extreme numbers", `{"enum":[1e400,12345678901234567890,-0,0.1,-1E-7]}`, `1e400 | 12345678901234567890 | -0 | 0.1 | -1E-7`},
	{"const string", `{"const":"fixed"}`, `"fixed"`},
	{"const wins over type", `{"type":"string","const":"x"}`, `"x"`},
	{"const object", `{"const":{"a":1,"b-c":[true,null]}}`, `{ a: 1; "b-c": [true, null] }`},
	{"const empty object", `{"const":{}}`, `{ [k: string]: never }`},
	{"const object with a duplicate key", `{"const":{"a":1,"b":2,"a":3}}`, `{ a: 3; b: 2 }`},
	{"const array", `{"const":[]}`, `[]`},
	{"enum in array", `{"type":"array","items":{"enum":["x","y"]}}`, `("x" | "y")[]`},
	{"enum values the type excludes", `{"type":"string","enum":["a",1,null]}`, `"a"`},
	{"enum integers", `{"type":"integer","enum":[1,1.5,2.0,"x"]}`, `1 | 2.0`},
	{"enum with nullable type", `{"type":["string","null"],"enum":["a",null,true]}`, `"a" | null`},
	{"const of another type", `{"type":"string","const":1}`, `never`},
	{"openapi nullable enum", `{"type":"string","nullable":true,"enum":["a",null]}`, `"a" | null`},
}

func TestLiterals(t *testing.T) { runFeatures(t, literalCases) }
