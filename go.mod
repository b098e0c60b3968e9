module github.com/clientcache/clientcache

go 1.24

require (
	github.com/puzpuzpuz/xsync/v4 v4.5.0
	go.uber.org/goleak v1.3.0
)

require github.com/anishathalye/porcupine v1.3.1
