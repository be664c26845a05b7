// Package layout holds no code: its test keeps README.md's layout table true,
// so the table a newcomer reads to find the room for a change names every
// package of the module and nothing that is gone.
package layout
