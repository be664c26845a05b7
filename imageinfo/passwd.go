package imageinfo

import (
	"archive/tar"
	"bufio"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// maxPasswd bounds how much of an /etc/passwd is read.
const maxPasswd = 1 << 20

// passwdUID finds user in the image's /etc/passwd as the container sees it:
// the topmost layer that has the file (or deletes it, or hides /etc with an
// opaque whiteout) decides. Layers are read from the top down, so a base
// image's passwd is only downloaded when no layer above it touches the file.
func passwdUID(img v1.Image, user string) (int64, bool, error) {
	layers, err := img.Layers()
	if err != nil {
		return 0, false, err
	}
	for i := len(layers) - 1; i >= 0; i-- {
		b, state, err := passwdOfLayer(layers[i])
		if err != nil {
			return 0, false, fmt.Errorf("layer %d: %w", i, err)
		}
		switch state {
		case layerHasFile:
			uid, ok := lookupPasswd(b, user)
			return uid, ok, nil
		case layerHidesFile:
			return 0, false, nil
		}
	}
	return 0, false, nil
}

type layerState int

const (
	layerSilent layerState = iota
	layerHasFile
	layerHidesFile
)

// passwdOfLayer reads etc/passwd from one layer's tar.
func passwdOfLayer(l v1.Layer) ([]byte, layerState, error) {
	rc, err := l.Uncompressed()
	if err != nil {
		return nil, layerSilent, err
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	state := layerSilent
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, state, nil
		}
		if err != nil {
			return nil, layerSilent, err
		}
		name := path.Clean("/" + h.Name)
		switch name {
		case "/etc/passwd":
			if h.Typeflag != tar.TypeReg {
				// A symlink or hard link: the kubelet reads no passwd
				// either; treat the name as unknown.
				return nil, layerHidesFile, nil
			}
			b, err := io.ReadAll(io.LimitReader(tr, maxPasswd))
			return b, layerHasFile, err
		case "/etc/.wh.passwd":
			return nil, layerHidesFile, nil
		case "/etc/.wh..wh..opq", "/.wh.etc":
			// /etc of lower layers is hidden; this layer may still add
			// a passwd later in the tar.
			state = layerHidesFile
		}
	}
}

// lookupPasswd returns the uid of user in passwd text.
func lookupPasswd(b []byte, user string) (int64, bool) {
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		f := strings.Split(sc.Text(), ":")
		if len(f) < 3 || f[0] != user {
			continue
		}
		uid, err := strconv.ParseInt(f[2], 10, 64)
		return uid, err == nil && uid >= 0
	}
	return 0, false
}
