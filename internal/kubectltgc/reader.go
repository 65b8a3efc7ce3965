package kubectltgc

import (
	"context"
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tgc-dev/targetgroupcontroller/internal/controller/binding"
)

// indexedReader reads the API server and answers the field indexes the
// controller's cache has (binding.Indexes), which the API server does not
// know, by listing without the field selector and keeping the objects the
// index's own function maps to the value. The Planner then reads exactly
// as it does inside the controller.
type indexedReader struct {
	client.Reader
	indexes map[string]binding.Index
}

func newIndexedReader(r client.Reader) indexedReader {
	idx := map[string]binding.Index{}
	for _, i := range binding.Indexes() {
		idx[i.Field] = i
	}
	return indexedReader{Reader: r, indexes: idx}
}

func (r indexedReader) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	lo := (&client.ListOptions{}).ApplyOptions(opts)
	if lo.FieldSelector == nil || lo.FieldSelector.Empty() {
		return r.Reader.List(ctx, list, opts...)
	}
	reqs := lo.FieldSelector.Requirements()
	idx, ok := r.indexes[reqs[0].Field]
	if len(reqs) != 1 || !ok {
		return r.Reader.List(ctx, list, opts...) // a field the API server knows
	}
	lo.FieldSelector = nil
	if err := r.Reader.List(ctx, list, lo); err != nil {
		return err
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return fmt.Errorf("reading a %T: %w", list, err)
	}
	keep := make([]runtime.Object, 0, len(items))
	for _, o := range items {
		if obj, ok := o.(client.Object); ok && slices.Contains(idx.Extract(obj), reqs[0].Value) {
			keep = append(keep, o)
		}
	}
	return meta.SetList(list, keep)
}
