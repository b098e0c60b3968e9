package concurrent

// list is an intrusive doubly linked list of nodes, the building block of every
// policy's queues. It is not safe for concurrent use: policies are only touched
// under Cache.mu. The front is the least recently moved node (the next victim in
// an LRU queue), the back the most recent.
type list[K comparable, V any] struct {
	head, tail *node[K, V]
	n          int
	id         uint8 // the value written to node.queue for members
}

func newList[K comparable, V any](id uint8) list[K, V] {
	if id == 0 {
		panic("concurrent: list id 0 is reserved for unlinked nodes")
	}
	return list[K, V]{id: id}
}

func (l *list[K, V]) len() int           { return l.n }
func (l *list[K, V]) front() *node[K, V] { return l.head }
func (l *list[K, V]) back() *node[K, V]  { return l.tail }

// pushBack links an unlinked node at the back.
func (l *list[K, V]) pushBack(x *node[K, V]) {
	x.queue = l.id
	x.next = nil
	x.prev = l.tail
	if l.tail == nil {
		l.head = x
	} else {
		l.tail.next = x
	}
	l.tail = x
	l.n++
}

// remove unlinks a member of l.
func (l *list[K, V]) remove(x *node[K, V]) {
	if x.prev == nil {
		l.head = x.next
	} else {
		x.prev.next = x.next
	}
	if x.next == nil {
		l.tail = x.prev
	} else {
		x.next.prev = x.prev
	}
	x.prev, x.next, x.queue = nil, nil, 0
	l.n--
}

// moveToBack moves a member of l to the back.
func (l *list[K, V]) moveToBack(x *node[K, V]) {
	if l.back() == x {
		return
	}
	l.remove(x)
	l.pushBack(x)
}

// popFront unlinks and returns the front node, or nil if l is empty.
func (l *list[K, V]) popFront() *node[K, V] {
	x := l.front()
	if x != nil {
		l.remove(x)
	}
	return x
}

// replace puts the unlinked node y at x's position and unlinks x.
func (l *list[K, V]) replace(x, y *node[K, V]) {
	y.prev, y.next, y.queue = x.prev, x.next, l.id
	if x.prev == nil {
		l.head = y
	} else {
		x.prev.next = y
	}
	if x.next == nil {
		l.tail = y
	} else {
		x.next.prev = y
	}
	x.prev, x.next, x.queue = nil, nil, 0
}

// clear unlinks every member (so stale links never keep nodes reachable).
func (l *list[K, V]) clear() {
	for x := l.head; x != nil; {
		next := x.next
		x.prev, x.next, x.queue = nil, nil, 0
		x = next
	}
	l.head, l.tail, l.n = nil, nil, 0
}

// ascend yields members front to back; descend back to front.
func (l *list[K, V]) ascend(yield func(*node[K, V]) bool) bool {
	for x := l.head; x != nil; x = x.next {
		if !yield(x) {
			return false
		}
	}
	return true
}

func (l *list[K, V]) descend(yield func(*node[K, V]) bool) bool {
	for x := l.tail; x != nil; x = x.prev {
		if !yield(x) {
			return false
		}
	}
	return true
}

// pushFront links an unlinked node at the front.
func (l *list[K, V]) pushFront(x *node[K, V]) {
	x.queue = l.id
	x.prev = nil
	x.next = l.head
	if l.head == nil {
		l.tail = x
	} else {
		l.head.prev = x
	}
	l.head = x
	l.n++
}

// moveFrontTo moves the first k nodes of l (all of them if k is larger, none
// if it is not positive) to the front of dst, keeping their order: l's
// front becomes dst's.
func (l *list[K, V]) moveFrontTo(dst *list[K, V], k int) {
	k = min(k, l.n)
	if k <= 0 {
		return
	}
	x := l.head
	for range k - 1 {
		x = x.next
	}
	for ; k > 0; k-- {
		prev := x.prev
		l.remove(x)
		dst.pushFront(x)
		x = prev
	}
}
