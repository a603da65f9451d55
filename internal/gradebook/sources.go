package gradebook

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Sources name a class's submissions: a folder of folders, a list file
// (a folder or a repository a line), a file of repositories, or several
// of these at once.
type Sources struct {
	Dir   string // one folder per submission (--submissions)
	List  string // a folder or a repository a line (--list)
	Repos string // a repository a line (--repos)
	// Out is the grade's results folder: clones are kept under
	// Out/.clones, each replaced by the next grade's. "" clones into a
	// temporary folder that Class.Close removes.
	Out string
	// Cloned, if set, is told of each repository once cloned, or not (a
	// clone that failed has its Problem set), one call at a time.
	Cloned func(Submission)
}

// CloneFolder is where a grade with --out keeps its clones, under Out.
// Its leading dot keeps it apart from the submissions' result folders,
// whose names never start with one.
const CloneFolder = ".clones"

// Class is the submissions to grade, sorted by name and each with its
// own prefix.
type Class struct {
	Submissions []Submission
	// Notes name what was left out or renamed, for the grader's log.
	Notes []string
	tmp   string
}

// Close removes the clones of a class gathered without an Out folder.
func (c *Class) Close() error {
	if c == nil || c.tmp == "" {
		return nil
	}
	return os.RemoveAll(c.tmp)
}

// Repository is a submission to clone.
type Repository struct {
	// Name is the submission's name; "" is the repository's own name.
	Name string
	// URL is what git clones: a URL as written, or a local path made a
	// file:// URL (git ignores --depth for a plain path). It may hold
	// credentials, so it is only ever shown through Redact.
	URL string
	Ref string // a branch or tag; "" is the default branch
	// Where is the list file and line that named it, for messages.
	Where string
}

// Source is the repository as a person may read it: no credentials,
// and the ref it names.
func (r Repository) Source() string {
	s := Redact(r.URL)
	if r.Ref != "" {
		s += "#" + r.Ref
	}
	return s
}

// Gather collects the class the sources name and clones its
// repositories. A list that cannot be read, or two folders or names
// that clash, is the error; a repository that cannot be cloned is only
// its own submission's Problem. Close the class when the grade is over.
func Gather(ctx context.Context, src Sources) (*Class, error) {
	if src.Dir == "" && src.List == "" && src.Repos == "" {
		return nil, errors.New("no submissions: name a folder of submissions, a list or a file of repositories")
	}
	c := &Class{}
	var folders []string
	var repos []Repository
	if src.Dir != "" {
		var skip []string
		if src.Out != "" {
			skip = append(skip, src.Out)
		}
		paths, notes, err := discoverPaths(src.Dir, skip...)
		if err != nil {
			return nil, err
		}
		folders, c.Notes = paths, notes
	}
	for _, f := range []struct {
		file      string
		reposOnly bool
	}{{src.List, false}, {src.Repos, true}} {
		if f.file == "" {
			continue
		}
		paths, rs, err := readSources(f.file, f.reposOnly)
		if err != nil {
			return nil, err
		}
		folders, repos = append(folders, paths...), append(repos, rs...)
	}
	subs, err := folderSubmissions(folders)
	if err != nil {
		return nil, err
	}
	taken := map[string]string{} // name → what has it
	for _, s := range subs {
		taken[s.Name] = s.Dir
	}
	notes, err := nameRepositories(repos, taken)
	if err != nil {
		return nil, err
	}
	c.Notes = append(c.Notes, notes...)
	if len(repos) > 0 {
		root, err := c.cloneRoot(src.Out)
		if err != nil {
			return nil, err
		}
		subs = append(subs, cloneAll(ctx, repos, root, src.Cloned)...)
	}
	if len(subs) == 0 {
		return nil, errors.New("no submissions: the lists name none")
	}
	finish(subs)
	c.Submissions = subs
	return c, nil
}

// cloneRoot is the folder the class's clones go in.
func (c *Class) cloneRoot(out string) (string, error) {
	if out == "" {
		tmp, err := os.MkdirTemp("", "streamlab-clones-")
		if err != nil {
			return "", fmt.Errorf("making a folder for the clones: %w", err)
		}
		c.tmp = tmp
		return tmp, nil
	}
	root := filepath.Join(out, CloneFolder)
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", fmt.Errorf("making a folder for the clones: %w", err)
	}
	return filepath.Abs(root)
}

// cloneJobs is how many repositories are cloned at once: the time goes
// in waiting on the network, not on the CPU.
const cloneJobs = 4

func cloneAll(ctx context.Context, repos []Repository, root string, told func(Submission)) []Submission {
	subs := make([]Submission, len(repos))
	next := make(chan int)
	var mu sync.Mutex // serialises told
	var wg sync.WaitGroup
	for range min(cloneJobs, len(repos)) {
		wg.Go(func() {
			for i := range next {
				subs[i] = cloneSubmission(ctx, repos[i], filepath.Join(root, repos[i].Name))
				if told != nil {
					mu.Lock()
					told(subs[i])
					mu.Unlock()
				}
			}
		})
	}
	for i := range repos {
		next <- i
	}
	close(next)
	wg.Wait()
	return subs
}

// cloneSubmission clones a repository into dest and says how its
// program starts.
func cloneSubmission(ctx context.Context, r Repository, dest string) Submission {
	commit, err := Clone(ctx, r, dest)
	if err != nil {
		return Submission{Name: r.Name, Dir: dest, Source: r.Source(), Problem: err.Error()}
	}
	s := Detect(r.Name, dest)
	s.Source, s.Commit = r.Source(), commit
	return s
}

// readSources reads a list file. In a list (reposOnly false) a line that
// is a folder is a folder, even with spaces in it; a line ending in a
// URL is a repository, after an optional name; any other line must be a
// folder. In a file of repositories every line is one, as a URL or a
// local path, after an optional name. Paths are relative to the file's
// folder; blank lines and lines starting with # are skipped.
func readSources(file string, reposOnly bool) (folders []string, repos []Repository, err error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the list of submissions: %w", err)
	}
	base := filepath.Dir(file)
	abs := func(p string) (string, error) {
		if !filepath.IsAbs(p) {
			p = filepath.Join(base, p)
		}
		return filepath.Abs(p)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		where := fmt.Sprintf("%s:%d", file, n)
		if !reposOnly {
			if p, err := abs(line); err == nil && isDir(p) {
				folders = append(folders, p)
				continue
			}
		}
		name, source := splitName(line)
		if !reposOnly && !isURL(source, true) {
			p, err := abs(line)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %v", where, err)
			}
			return nil, nil, fmt.Errorf("%s: %s is not a folder: each line names a submission's folder, or a git repository's URL (https://, ssh://, git://, file:// or user@host:path)", where, p)
		}
		r, err := parseRepository(name, source, abs)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %v", where, err)
		}
		r.Where = where
		repos = append(repos, r)
	}
	if len(folders) == 0 && len(repos) == 0 {
		what := "one folder or repository a line"
		if reposOnly {
			what = "one repository a line"
		}
		return nil, nil, fmt.Errorf("%s names no submission: it needs %s", file, what)
	}
	return folders, repos, nil
}

// splitName parses "NAME SOURCE": the source is the last field (URLs and
// the paths in a repository list hold no spaces), the name what is
// before it.
func splitName(line string) (name, source string) {
	i := strings.LastIndexAny(line, " \t")
	if i < 0 {
		return "", line
	}
	return strings.TrimSpace(line[:i]), line[i+1:]
}

var (
	hasScheme = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*://`)
	// scpLike is git's user@host:path; in a list, where a line may also
	// be a folder, the user@ is required.
	scpLike       = regexp.MustCompile(`^[^/@:\s]+@[^/:\s]+:`)
	scpLikeNoUser = regexp.MustCompile(`^[^/:\s]{2,}:`) // two or more: not a drive letter
	safeRef       = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/-]*$`)
)

// isURL tells a repository's URL from a path.
func isURL(s string, inList bool) bool {
	if hasScheme.MatchString(s) || scpLike.MatchString(s) {
		return true
	}
	return !inList && scpLikeNoUser.MatchString(s) && !exists(s)
}

// parseRepository reads "URL#REF" (or a local path), with the name given.
func parseRepository(name, source string, abs func(string) (string, error)) (Repository, error) {
	r := Repository{Name: name}
	if i := strings.LastIndex(source, "#"); i >= 0 {
		source, r.Ref = source[:i], source[i+1:]
		if !safeRef.MatchString(r.Ref) || strings.Contains(r.Ref, "..") {
			return r, fmt.Errorf("%q after # is not a branch or tag name", r.Ref)
		}
	}
	switch {
	case source == "":
		return r, errors.New("no repository after the name")
	case strings.HasPrefix(source, "-"):
		return r, fmt.Errorf("%s is not a repository: it reads as an option to git", Redact(source))
	case isURL(source, false):
		r.URL = source
	default:
		p, err := abs(source)
		if err != nil {
			return r, err
		}
		r.URL = "file://" + filepath.ToSlash(p)
	}
	if name != "" {
		if err := checkName(name); err != nil {
			return r, err
		}
	}
	return r, nil
}

// checkName refuses a name that cannot be a folder under --out.
func checkName(name string) error {
	switch {
	case strings.HasPrefix(name, "."):
		return fmt.Errorf("the name %q starts with a dot: it names the submission's folder under --out, which would be hidden", name)
	case strings.ContainsAny(name, `/\`):
		return fmt.Errorf("the name %q holds a slash: it names a single folder under --out", name)
	case strings.ContainsFunc(name, func(r rune) bool { return r < ' ' || r == 0x7f }):
		return fmt.Errorf("the name %q holds a control character", name)
	}
	return nil
}

// nameRepositories gives every repository a name no other submission has.
// A name written in the list must be unique as it stands; a name taken
// from a URL is made unique, first with the folder above it (the owner,
// on a forge), then with a number.
func nameRepositories(repos []Repository, taken map[string]string) (notes []string, err error) {
	for _, r := range repos {
		if r.Name == "" {
			continue
		}
		if prev, ok := taken[r.Name]; ok {
			return nil, fmt.Errorf("%s: two submissions are named %q (%s and %s): give one another name", r.Where, r.Name, prev, r.Source())
		}
		taken[r.Name] = r.Source()
	}
	own := map[string]int{}
	for _, r := range repos {
		if r.Name == "" {
			own[repoName(r.URL)]++
		}
	}
	for i := range repos {
		r := &repos[i]
		if r.Name != "" {
			continue
		}
		name := repoName(r.URL)
		if taken[name] != "" || own[name] > 1 {
			if owner := ownerName(r.URL); owner != "" {
				name = owner + "-" + name
			}
		}
		base := name
		for n := 2; taken[name] != ""; n++ {
			name = fmt.Sprintf("%s-%d", base, n)
		}
		if name != repoName(r.URL) {
			notes = append(notes, fmt.Sprintf("%s is graded as %q: another submission is named %q", r.Source(), name, repoName(r.URL)))
		}
		r.Name = name
		taken[name] = r.Source()
	}
	return notes, nil
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// repoName is a repository's own name: the last part of its path,
// without .git.
func repoName(url string) string {
	parts := urlPath(url)
	if len(parts) == 0 {
		return "repository"
	}
	return cleanName(strings.TrimSuffix(parts[len(parts)-1], ".git"))
}

// ownerName is the part of a repository's path above its name.
func ownerName(url string) string {
	parts := urlPath(url)
	if len(parts) < 2 {
		return ""
	}
	return cleanName(parts[len(parts)-2])
}

func cleanName(s string) string {
	s = strings.TrimLeft(unsafeName.ReplaceAllString(s, "-"), ".-")
	if s == "" {
		return "repository"
	}
	return s
}

// urlPath is the non-empty parts of a repository URL's path.
func urlPath(url string) []string {
	p := url
	if m := hasScheme.FindString(p); m != "" {
		p = p[len(m):]
		if i := strings.Index(p, "/"); i >= 0 && !strings.HasPrefix(url, "file://") {
			p = p[i:] // past the host
		}
	} else if m := scpLike.FindString(p); m != "" {
		p = p[len(m):]
	} else if m := scpLikeNoUser.FindString(p); m != "" {
		p = p[len(m):]
	}
	var parts []string
	for _, s := range strings.FieldsFunc(p, func(r rune) bool { return r == '/' || r == ':' }) {
		if s != "." && s != ".." {
			parts = append(parts, s)
		}
	}
	return parts
}

// folderSubmissions makes submissions of folders, refusing two of one
// name: their results would overwrite each other under --out.
func folderSubmissions(paths []string) ([]Submission, error) {
	seen := map[string]string{}
	var subs []Submission
	for _, p := range paths {
		name := filepath.Base(p)
		// A linked folder is graded where it really is, so that a Go
		// program finds the module it lives in.
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		if prev, ok := seen[name]; ok {
			return nil, fmt.Errorf("two submissions are named %q (%s and %s): the folder name is the submission's name, so rename one", name, prev, p)
		}
		seen[name] = p
		subs = append(subs, Detect(name, p))
	}
	return subs, nil
}

// finish sorts a class by name and gives each submission its prefix.
func finish(subs []Submission) {
	slices.SortFunc(subs, func(a, b Submission) int { return strings.Compare(a.Name, b.Name) })
	assignPrefixes(subs)
}
