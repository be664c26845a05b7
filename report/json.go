package report

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/remedy-bot/remedy/scanner"
)

// WriteJSON writes rep in its public JSON form (see scanner.Report),
// indented by two spaces and ending in a newline.
func WriteJSON(w io.Writer, rep *scanner.Report) error {
	if rep == nil {
		rep = &scanner.Report{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return fmt.Errorf("write JSON report: %w", err)
	}
	return nil
}
