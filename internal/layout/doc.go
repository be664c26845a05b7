// Package layout holds no code: its tests keep README.md's layout table
// true, so the table a newcomer reads to find the room for a change names
// every package of the module and nothing that is gone, and keep every
// package documented, so `go doc` of any package says what it is for.
package layout
