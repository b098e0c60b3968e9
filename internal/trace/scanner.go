package trace

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
)

// Format is a trace's record format.
type Format uint8

const (
	// ARC is text, one request per line, "start count ignored reqno", four
	// unsigned decimal fields: the request is count accesses to the keys
	// start .. start+count-1 (none if count is 0). Blank lines are skipped.
	ARC Format = iota + 1
	// LIRS is text, one decimal key per line. Empty lines and lines holding
	// only "*" are skipped; lines may end with "\r\n".
	LIRS
	// BE64 is binary: back-to-back 8-byte big-endian unsigned keys.
	BE64
	// BE32 is binary: back-to-back 4-byte big-endian unsigned keys.
	BE32
)

// String returns the format's name as the traces README spells it.
func (f Format) String() string {
	switch f {
	case ARC:
		return "ARC"
	case LIRS:
		return "LIRS"
	case BE64:
		return "BE64"
	case BE32:
		return "BE32"
	}
	return fmt.Sprintf("Format(%d)", uint8(f))
}

// Scanner streams the keys of a trace, one access at a time, in the manner of
// [bufio.Scanner]: call [Scanner.Scan] until it returns false, then
// [Scanner.Err].
type Scanner struct {
	r      *bufio.Reader
	format Format
	key    uint64
	err    error
	line   int    // text formats: the current line number, for errors
	name   string // the file's path (set by Open), for errors
	keys   uint64 // the keys scanned so far, for errors

	// An ARC request being expanded: the next key and how many remain.
	runNext, runLeft uint64

	closers []io.Closer // set by Open
}

// NewScanner returns a scanner reading records of format f from r, which is
// not decompressed (see [Open] for gzip files).
func NewScanner(r io.Reader, f Format) *Scanner {
	s := &Scanner{r: bufio.NewReaderSize(r, 1<<16), format: f}
	switch f {
	case ARC, LIRS, BE64, BE32:
	default:
		s.err = fmt.Errorf("trace: unknown format %v", f)
	}
	return s
}

// Open opens the gzip trace file at path for scanning records of format f.
// Close the scanner when done.
func Open(path string, f Format) (*Scanner, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("trace: %w", err)
	}
	z, err := gzip.NewReader(file)
	if err != nil {
		file.Close()
		return nil, fmt.Errorf("trace: %s: %w", path, err)
	}
	s := NewScanner(z, f)
	s.name = path
	if s.err != nil { // the format is unknown
		s.err = fmt.Errorf("trace: %s: unknown format %v", path, f)
	}
	s.closers = []io.Closer{z, file}
	return s, nil
}

// Close closes the file a scanner from [Open] reads; it does nothing for a
// scanner from [NewScanner].
func (s *Scanner) Close() error {
	var errs []error
	for _, c := range s.closers {
		errs = append(errs, c.Close())
	}
	s.closers = nil
	return errors.Join(errs...)
}

// Key returns the key of the access that the last successful Scan read.
func (s *Scanner) Key() uint64 { return s.key }

// Err returns the first error met, or nil if the trace ended cleanly. An
// error of a scanner from [Open] names the file; one of a text format, the
// line.
func (s *Scanner) Err() error { return s.err }

// Scan advances to the next access and reports whether there is one.
func (s *Scanner) Scan() bool {
	if s.err != nil {
		return false
	}
	switch s.format {
	case ARC:
		return s.scanARC()
	case LIRS:
		return s.scanLIRS()
	case BE64:
		return s.scanBinary(8)
	case BE32:
		return s.scanBinary(4)
	}
	return false
}

// fail ends the scan with err (nil for io.EOF: a clean end), which it
// prefixes with "trace: " and the file's name, if any.
func (s *Scanner) fail(err error) bool {
	switch {
	case err == io.EOF:
		err = nil
	case s.name != "":
		err = fmt.Errorf("trace: %s: %w", s.name, err)
	default:
		err = fmt.Errorf("trace: %w", err)
	}
	s.err = err
	return false
}

// readLine returns the next line without its line ending, or io.EOF.
func (s *Scanner) readLine() ([]byte, error) {
	b, err := s.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		return nil, fmt.Errorf("line %d: longer than %d bytes", s.line+1, s.r.Size())
	}
	if err == io.EOF && len(b) > 0 {
		err = nil // a last line without a newline
	}
	if err == io.EOF {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("after line %d: %w", s.line, err)
	}
	s.line++
	return bytes.TrimRight(b, "\r\n"), nil
}

func (s *Scanner) scanLIRS() bool {
	for {
		b, err := s.readLine()
		if err != nil {
			return s.fail(err)
		}
		b = bytes.TrimSpace(b)
		if len(b) == 0 || (len(b) == 1 && b[0] == '*') {
			continue
		}
		k, err := strconv.ParseUint(string(b), 10, 64)
		if err != nil {
			return s.fail(fmt.Errorf("line %d: %w", s.line, err))
		}
		s.key = k
		return true
	}
}

func (s *Scanner) scanARC() bool {
	for s.runLeft == 0 {
		b, err := s.readLine()
		if err != nil {
			return s.fail(err)
		}
		fields := bytes.Fields(b)
		if len(fields) == 0 {
			continue
		}
		if len(fields) != 4 {
			return s.fail(fmt.Errorf("line %d: want \"start count ignored reqno\", got %q", s.line, b))
		}
		var v [4]uint64
		for i, name := range [...]string{"start", "count", "ignored", "reqno"} {
			if v[i], err = strconv.ParseUint(string(fields[i]), 10, 64); err != nil {
				return s.fail(fmt.Errorf("line %d: %s: %w", s.line, name, err))
			}
		}
		start, count := v[0], v[1]
		if count > 0 && start > math.MaxUint64-(count-1) {
			return s.fail(fmt.Errorf("line %d: keys %d .. %d + %d - 1 run past 2^64-1", s.line, start, start, count))
		}
		s.runNext, s.runLeft = start, count
	}
	s.key = s.runNext
	s.runNext++
	s.runLeft--
	return true
}

func (s *Scanner) scanBinary(width int) bool {
	var buf [8]byte
	n := 0
	for n < width {
		m, err := s.r.Read(buf[n:width])
		n += m
		switch {
		case err == io.EOF && n == 0:
			return s.fail(io.EOF)
		case err == io.EOF && n < width:
			return s.fail(fmt.Errorf("%v: %d trailing bytes after the last record (%d keys)", s.format, n, s.keys))
		case err != nil && err != io.EOF:
			return s.fail(fmt.Errorf("%v: after %d keys: %w", s.format, s.keys, err))
		}
	}
	if width == 8 {
		s.key = binary.BigEndian.Uint64(buf[:])
	} else {
		s.key = uint64(binary.BigEndian.Uint32(buf[:]))
	}
	s.keys++
	return true
}

// Load opens the gzip trace file at path and returns all its keys in order.
func Load(path string, f Format) ([]uint64, error) {
	s, err := Open(path, f)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return collect(s)
}

func collect(s *Scanner) ([]uint64, error) {
	var keys []uint64
	for s.Scan() {
		keys = append(keys, s.Key())
	}
	return keys, s.Err()
}
