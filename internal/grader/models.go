package grader

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/streamlab/streamlab/internal/catalogue"
	"github.com/streamlab/streamlab/internal/datagen"
)

// writeModel draws the versions of the model file v, the i-th variable,
// and writes its file. A file of versions, or one that others follow,
// draws from the seed of the first file of its model (Spec.ModelDraw),
// so that a file that follows another holds the versions after it.
func (g *run) writeModel(i int, v catalogue.Variable) error {
	models := []datagen.Model{datagen.NewModel(g.res.Seed + uint64(i))}
	if root, skip, lineage := g.req.Exercise.ModelDraw(v.Name); lineage {
		models = datagen.NewModels(g.res.Seed+uint64(root), skip+v.ModelVersions())[skip:]
	}
	ext := ".json"
	if len(models) > 1 {
		ext = ".jsonl"
	}
	p := filepath.Join(g.tmp, strings.ToLower(v.Name)+ext)
	if err := datagen.WriteModels(p, models); err != nil {
		return err
	}
	g.values[v.Name] = p
	g.env.Models[v.Name] = models[len(models)-1]
	g.env.ModelVersions[v.Name] = models
	return nil
}

// fileRecords are the records a seed or a load publishes from the file
// variable from: an orders file's lines, keyed by their field key (no
// keys when key is ""); a model file's versions, oldest first, each one
// line of JSON keyed by the model's name, as a compacted topic of models
// holds them.
func (g *run) fileRecords(from, key string) (lines, keys []string) {
	if models, ok := g.env.ModelVersions[from]; ok {
		lines = datagen.ModelLines(models)
		for _, m := range models {
			keys = append(keys, m.Name())
		}
		return lines, keys
	}
	lines = datagen.Lines(g.env.Inputs[from])
	if key != "" {
		keys = make([]string, len(lines))
		for i, l := range lines {
			keys[i], _ = fieldOf(l, key)
		}
	}
	return lines, keys
}

// lineCount is "1 line" or "N lines": a load of a new model version
// publishes one.
func lineCount(n int) string {
	if n == 1 {
		return "1 line"
	}
	return fmt.Sprintf("%d lines", n)
}
