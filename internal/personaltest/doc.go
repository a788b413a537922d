// Package personaltest seeds an asset with known, distinctive personal
// data through the real write routes, for the tests that check that the
// public never sees it (api) and that erasure removes it (cmd/acv). Test
// helpers only; it imports domain and the standard library.
package personaltest
