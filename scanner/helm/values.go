package helm

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
)

// wireValue is one Helm value as the render child receives it: JSON with
// the Go type kept. Plain JSON would turn an int into a float64, and a
// template renders those differently (1000000 against 1e+06), so the
// render in the child would not be the render in the parent.
type wireValue struct {
	// T is the Go type: s string, b bool, f float64, f32 float32, i int,
	// i64 int64, i32 int32, u uint, u64 uint64, u32 uint32, n json.Number,
	// m mapping, l list; empty for nil.
	T string                `json:"t,omitempty"`
	S string                `json:"s,omitempty"`
	B bool                  `json:"b,omitempty"`
	F float64               `json:"f,omitempty"`
	I int64                 `json:"i,omitempty"`
	U uint64                `json:"u,omitempty"`
	M map[string]*wireValue `json:"m,omitempty"`
	L []*wireValue          `json:"l,omitempty"`
}

// toWire encodes values for the render child; depth guards against a
// cycle, which values decoded from YAML never have.
func toWire(x any, depth int) (*wireValue, error) {
	if depth > 10000 {
		return nil, fmt.Errorf("values nest deeper than 10000 levels")
	}
	switch x := x.(type) {
	case nil:
		return &wireValue{}, nil
	case string:
		return &wireValue{T: "s", S: x}, nil
	case bool:
		return &wireValue{T: "b", B: x}, nil
	case float64:
		return wireFloat("f", x), nil
	case float32:
		return wireFloat("f32", float64(x)), nil
	case int:
		return &wireValue{T: "i", I: int64(x)}, nil
	case int64:
		return &wireValue{T: "i64", I: x}, nil
	case int32:
		return &wireValue{T: "i32", I: int64(x)}, nil
	case uint:
		return &wireValue{T: "u", U: uint64(x)}, nil
	case uint64:
		return &wireValue{T: "u64", U: x}, nil
	case uint32:
		return &wireValue{T: "u32", U: uint64(x)}, nil
	case json.Number:
		return &wireValue{T: "n", S: string(x)}, nil
	}
	// Mappings and lists of any named type (chartutil.Values) travel as
	// plain ones, which is what templates see them as.
	v := reflect.ValueOf(x)
	switch {
	case v.Kind() == reflect.Map && v.Type().Key().Kind() == reflect.String:
		out := &wireValue{T: "m", M: make(map[string]*wireValue, v.Len())}
		for it := v.MapRange(); it.Next(); {
			w, err := toWire(it.Value().Interface(), depth+1)
			if err != nil {
				return nil, err
			}
			out.M[it.Key().String()] = w
		}
		return out, nil
	case v.Kind() == reflect.Slice:
		out := &wireValue{T: "l", L: make([]*wireValue, v.Len())}
		for i := range v.Len() {
			w, err := toWire(v.Index(i).Interface(), depth+1)
			if err != nil {
				return nil, err
			}
			out.L[i] = w
		}
		return out, nil
	}
	return nil, fmt.Errorf("a value of type %T cannot be rendered", x)
}

// wireFloat encodes a float; JSON has no infinities nor NaN, which travel
// as text (.inf in YAML).
func wireFloat(t string, x float64) *wireValue {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return &wireValue{T: t, S: strconv.FormatFloat(x, 'g', -1, 64)}
	}
	return &wireValue{T: t, F: x}
}

func (w *wireValue) float() float64 {
	if w.S != "" {
		f, _ := strconv.ParseFloat(w.S, 64)
		return f
	}
	return w.F
}

// fromWire decodes what toWire encoded.
func fromWire(w *wireValue) any {
	if w == nil {
		return nil
	}
	switch w.T {
	case "s":
		return w.S
	case "b":
		return w.B
	case "f":
		return w.float()
	case "f32":
		return float32(w.float())
	case "i":
		return int(w.I)
	case "i64":
		return w.I
	case "i32":
		return int32(w.I)
	case "u":
		return uint(w.U)
	case "u64":
		return w.U
	case "u32":
		return uint32(w.U)
	case "n":
		return json.Number(w.S)
	case "m":
		return fromWireMap(w)
	case "l":
		out := make([]any, len(w.L))
		for i, x := range w.L {
			out[i] = fromWire(x)
		}
		return out
	}
	return nil
}

func fromWireMap(w *wireValue) map[string]any {
	if w == nil || w.T != "m" {
		return map[string]any{}
	}
	out := make(map[string]any, len(w.M))
	for k, x := range w.M {
		out[k] = fromWire(x)
	}
	return out
}
