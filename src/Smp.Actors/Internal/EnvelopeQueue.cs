namespace Smp.Actors.Internal;

/// <summary>A binary min-heap of envelopes ordered by <see cref="Envelope.Precedes"/>; no allocation once grown.</summary>
internal sealed class EnvelopeQueue
{
    private Envelope[] _items = new Envelope[256];
    private int _count;

    public int Count => _count;

    public ref readonly Envelope Peek() => ref _items[0];

    public void Push(in Envelope envelope)
    {
        if (_count == _items.Length)
        {
            Array.Resize(ref _items, _items.Length * 2);
        }

        var items = _items;
        var i = _count++;
        while (i > 0)
        {
            var parent = (i - 1) >> 1;
            if (!Envelope.Precedes(in envelope, in items[parent]))
            {
                break;
            }

            items[i] = items[parent];
            i = parent;
        }

        items[i] = envelope;
    }

    public Envelope Pop()
    {
        var items = _items;
        var top = items[0];
        var n = --_count;
        if (n == 0)
        {
            items[0] = default;
            return top;
        }

        var last = items[n];
        items[n] = default;
        var i = 0;
        while (true)
        {
            var child = (2 * i) + 1;
            if (child >= n)
            {
                break;
            }

            if (child + 1 < n && Envelope.Precedes(in items[child + 1], in items[child]))
            {
                child++;
            }

            if (!Envelope.Precedes(in items[child], in last))
            {
                break;
            }

            items[i] = items[child];
            i = child;
        }

        items[i] = last;
        return top;
    }

    public void Clear()
    {
        Array.Clear(_items, 0, _count);
        _count = 0;
    }
}
