// Package plural writes counted English nouns ("1 finding", "3 findings",
// "2 boxes") for the summaries remedy writes to people: the scan table,
// review comments, pull request bodies (the templates' "plural" function)
// and the service's answers.
//
// Data enters as a count and a singular noun and leaves as one string.
package plural

import "strconv"

// Count writes n and noun, the noun in its plural form unless n is 1.
// The plural adds "es" after a final "s" or "x" and "s" otherwise, which
// is right for every noun remedy counts.
func Count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if last := len(noun) - 1; last >= 0 && (noun[last] == 's' || noun[last] == 'x') {
		return strconv.Itoa(n) + " " + noun + "es"
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
