package main

import (
	"strings"
	"unicode"
)

// iniSection is a section of a shared config or credentials file as Python's configparser
// (and so botocore and the AWS CLI) reads it: keys lower-cased, each with its value.
type iniSection struct {
	name   string
	keys   []string          // in the order first seen
	values map[string]string // lines joined by "\n", as configparser joins them
}

// parseINI reads b as configparser.RawConfigParser reads a file, with its defaults: lines end
// at LF, CR or CRLF; a line whose first non-blank is '#' or ';' is a comment; '=' and ':'
// both end a key; a line indented deeper than its key continues that key's value, blank
// lines inside a value included; a section header is '[' up to the last ']'. Duplicate
// sections merge and a later key replaces an earlier one, as the Go SDK does; configparser
// refuses them (so botocore refuses the file). Lines configparser would reject are skipped.
func parseINI(b []byte) []*iniSection {
	var order []*iniSection
	byName := map[string]*iniSection{}
	var cur *iniSection
	var lines []string // of the current key, nil when there is none
	key, indent := "", 0
	end := func() {
		if cur != nil && lines != nil {
			cur.values[key] = strings.TrimRightFunc(strings.Join(lines, "\n"), pySpace)
		}
	}
	for _, line := range pyLines(string(b)) {
		value := strings.TrimFunc(line, pySpace)
		switch {
		case strings.HasPrefix(value, "#"), strings.HasPrefix(value, ";"):
			continue
		case value == "":
			if lines != nil {
				lines = append(lines, "")
			}
			continue
		}
		level := len([]rune(line)) - len([]rune(strings.TrimLeftFunc(line, pySpace)))
		if lines != nil && level > indent {
			lines = append(lines, value)
			continue
		}
		indent = level
		if name, ok := sectionName(value); ok {
			end()
			lines, key = nil, ""
			if cur = byName[name]; cur == nil {
				cur = &iniSection{name: name, values: map[string]string{}}
				byName[name] = cur
				order = append(order, cur)
			}
			continue
		}
		k, v, ok := optionLine(value)
		if cur == nil || !ok {
			continue // configparser goes on, then fails the whole file
		}
		end()
		key, lines = strings.ToLower(k), []string{v}
		if _, seen := cur.values[key]; !seen {
			cur.keys = append(cur.keys, key)
		}
	}
	end()
	return order
}

// pyLines splits s as Python's universal newlines do: at "\r\n", "\r" and "\n".
func pyLines(s string) []string {
	return strings.Split(strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n"), "\n")
}

// pySpace is Python's str.isspace, which also counts the separators U+001C to U+001F.
func pySpace(r rune) bool { return unicode.IsSpace(r) || r >= 0x1c && r <= 0x1f }

// sectionName matches configparser's `\[(?P<header>.+)\]` against a stripped line.
func sectionName(line string) (string, bool) {
	i := strings.LastIndexByte(line, ']')
	if !strings.HasPrefix(line, "[") || i < 2 {
		return "", false
	}
	return line[1:i], true
}

// optionLine matches configparser's `(?P<option>.*?)\s*(?P<vi>=|:)\s*(?P<value>.*)$`: the
// key ends at the first '=' or ':'.
func optionLine(line string) (key, value string, ok bool) {
	i := strings.IndexAny(line, "=:")
	if i < 0 {
		return "", "", false
	}
	key = strings.TrimRightFunc(line[:i], pySpace)
	return key, strings.TrimFunc(line[i+1:], pySpace), key != ""
}
