package concurrent

// lru is exact least-recently-used eviction: one list, front = next victim.
type lru[K comparable, V any] struct {
	q list[K, V]
}

func newLRU[K comparable, V any]() *lru[K, V] {
	return &lru[K, V]{q: newList[K, V](1)}
}

func (p *lru[K, V]) add(n *node[K, V])                { p.q.pushBack(n) }
func (p *lru[K, V]) access(n *node[K, V])             { p.q.moveToBack(n) }
func (p *lru[K, V]) remove(n *node[K, V])             { p.q.remove(n) }
func (p *lru[K, V]) evict() *node[K, V]               { return p.q.popFront() }
func (p *lru[K, V]) setMax(int)                       {}
func (p *lru[K, V]) len() int                         { return p.q.len() }
func (p *lru[K, V]) clear()                           { p.q.clear() }
func (p *lru[K, V]) ascend(y func(*node[K, V]) bool)  { p.q.ascend(y) }
func (p *lru[K, V]) descend(y func(*node[K, V]) bool) { p.q.descend(y) }

func (p *lru[K, V]) replace(old, n *node[K, V]) {
	p.q.replace(old, n)
	p.q.moveToBack(n)
}

func (p *lru[K, V]) clone(mapped func(*node[K, V]) *node[K, V]) policy[K, V] {
	c := newLRU[K, V]()
	p.q.ascend(func(x *node[K, V]) bool {
		c.q.pushBack(mapped(x))
		return true
	})
	return c
}
