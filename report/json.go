package report

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/remedy-bot/remedy/scanner"
)

// jsonReport is scanner.Report without its MarshalJSON method, so that the
// encoder writes it in one pass: through MarshalJSON it would marshal the
// report, check the result and indent it, three passes over what is
// megabytes for a large repository.
type jsonReport scanner.Report

// WriteJSON writes rep in its public JSON form (see scanner.Report),
// indented by two spaces and ending in a newline.
func WriteJSON(w io.Writer, rep *scanner.Report) error {
	if rep == nil {
		rep = &scanner.Report{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(jsonReport(rep.WithEmptyLists())); err != nil {
		return fmt.Errorf("write JSON report: %w", err)
	}
	return nil
}
