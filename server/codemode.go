package server

// codemodePrelude gives the codemode helpers their JavaScript signatures.
// A binding passes the sandbox only its first argument, so the prelude packs
// the others into one object: codemode.search(query, {limit}) reaches the
// host as {query, limit}. A call with one object argument passes through.
const codemodePrelude = `(() => {
  const c = globalThis.codemode;
  if (!c) return;
  const pack = (fn, names) => function (...args) {
    if (args.length <= 1 && (typeof args[0] === "object" && args[0] !== null || names.length === 1)) return fn(args[0]);
    const o = {};
    names.forEach((n, i) => { if (args[i] !== undefined) o[n] = args[i]; });
    return fn(o);
  };
  const wrap = (name, names) => {
    if (typeof c[name] !== "function") return;
    Object.defineProperty(c, name, { value: pack(c[name], names), writable: true, enumerable: true, configurable: true });
  };
  const search = c.search;
  if (typeof search === "function") {
    Object.defineProperty(c, "search", {
      value: function (query, options) {
        if (options === undefined || options === null || typeof query !== "string") return search(query);
        return search(Object.assign({}, options, { query }));
      },
      writable: true, enumerable: true, configurable: true,
    });
  }
  wrap("save", ["name", "code", "description"]);
  wrap("run", ["name", "input"]);
})();
`
