package sandbox

// limits are the sizes the guards enforce, derived from Options.MemoryLimit
// so that no single built-in call can allocate more than a fraction of the
// budget: the memory watchdog only acts between calls.
type limits struct {
	memory int64 // Options.MemoryLimit

	// maxString is the longest string (in UTF-16 units) a guarded
	// built-in may produce: a quarter of the budget (a unit may take 2 bytes).
	maxString int64

	// maxElements is the longest array a guarded built-in may create or
	// walk, holes included. An element takes 16 bytes in a dense array,
	// but building one costs more (a sparse array filled, growth, the
	// copy when it turns dense): new Array(4e6).fill(0) took 200 MB, and
	// eight such calls at once (one native step each, which the watchdog
	// cannot interrupt) 1.7 GB. A sixty-fourth of the budget keeps one
	// call within about the budget.
	maxElements int64

	// maxStringElements bounds the elements made from one string (split,
	// spread, Array.from): each becomes a string value of ~50-100 bytes.
	maxStringElements int64

	// maxBuffer is the largest ArrayBuffer or typed array, in bytes.
	maxBuffer int64

	maxCode   int // Options.MaxCodeBytes, also for eval and Function
	maxResult int // Options.MaxResultBytes
}

// minElements keeps small budgets usable.
const minElements = 1 << 16

func newLimits(o Options) limits {
	return limits{
		memory:            o.MemoryLimit,
		maxString:         o.MemoryLimit / 4,
		maxElements:       max(o.MemoryLimit/64, minElements),
		maxStringElements: max(o.MemoryLimit/128, minElements),
		maxBuffer:         o.MemoryLimit / 2,
		maxCode:           o.MaxCodeBytes,
		maxResult:         o.MaxResultBytes,
	}
}
