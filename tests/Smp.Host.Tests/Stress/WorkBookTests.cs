using Smp.Host.Stress;

namespace Smp.Host.Tests.Stress;

public sealed class WorkBookTests
{
    private static WorkBook Book(ulong count = 100_000, int runners = 2) =>
        new(new SeedSpan(0, count - 1, 1), IndexSet.Of(0, count)) { Runners = runners };

    [Fact]
    public void Ranges_are_a_few_thousand_seeds_and_shrink_toward_the_end()
    {
        var book = Book(100_000, runners: 2);
        var sizes = new List<ulong>();
        while (book.Next("n", 0, backups: false) is { } lease)
        {
            sizes.Add(lease.Hi - lease.Lo);
            book.Finish(lease.Id, lease.Hi - lease.Lo, accepted: true);
        }

        Assert.Equal(WorkBook.MaxRange, sizes[0]);
        Assert.True(sizes[^2] == WorkBook.MinRange, $"the ranges before the last are {sizes[^2]} seeds");
        Assert.True(sizes.Zip(sizes.Skip(1)).All(p => p.First >= p.Second), "range sizes never grow");
        Assert.True(book.Finished);
        Assert.Equal(100_000UL, book.Done);
    }

    [Fact]
    public void An_unreachable_runner_s_range_waits_again_and_its_late_result_still_counts_once()
    {
        var book = Book(10_000);
        var a = book.Next("a", 0, backups: false)!;
        var b = book.Next("b", 0, backups: false)!;
        ulong waiting = book.Waiting;

        Assert.Equal([a], book.Suspect("a"));
        Assert.Equal(waiting + (a.Hi - a.Lo), book.Waiting);
        // Another runner takes the same seeds; the late result of the first arrives first and counts, the second copy is redundant.
        var again = book.Next("b", 1, backups: false)!;
        Assert.Equal(a.Lo, again.Lo);
        Assert.Equal([again], book.Finish(a.Id, a.Hi - a.Lo, accepted: true));
        Assert.Empty(book.Finish(again.Id, again.Hi - again.Lo, accepted: false));
        book.Finish(b.Id, b.Hi - b.Lo, accepted: true);
        Assert.Equal((a.Hi - a.Lo) + (b.Hi - b.Lo), book.Done);
    }

    [Fact]
    public void A_late_result_of_an_unreachable_runner_takes_its_seeds_off_the_queue()
    {
        var book = Book(10_000);
        var a = book.Next("a", 0, backups: false)!;
        ulong waiting = book.Waiting;

        book.Suspect("a");
        Assert.Equal(waiting + (a.Hi - a.Lo), book.Waiting);
        // Nobody took the seeds again before the late result arrived: they are done and no longer wait.
        book.Finish(a.Id, a.Hi - a.Lo, accepted: true);
        Assert.Equal(a.Hi - a.Lo, book.Done);
        Assert.Equal(waiting, book.Waiting);
        Assert.Equal(book.Total, book.Done + book.Waiting);
    }

    [Fact]
    public void A_dropped_runner_s_ranges_and_the_rest_of_a_cut_range_wait_again()
    {
        var book = Book(10_000);
        var a = book.Next("a", 0, backups: false)!;
        var b = book.Next("b", 0, backups: false)!;
        ulong waiting = book.Waiting;

        Assert.Equal([a], book.Drop("a"));
        Assert.Null(book.Find(a.Id));
        Assert.Equal(waiting + (a.Hi - a.Lo), book.Waiting);
        // b is cut after 10 seeds (SIGINT): those count, the rest waits.
        book.Finish(b.Id, 10, accepted: true);
        Assert.Equal(10UL, book.Done);
        Assert.Equal(10_000UL - 10, book.Waiting);
    }

    [Fact]
    public void Once_nothing_waits_an_idle_runner_gets_a_backup_copy_of_the_oldest_range_out()
    {
        var book = Book(WorkBook.MinRange, runners: 1);
        var slow = book.Next("slow", 0, backups: true)!;
        Assert.Equal((0UL, WorkBook.MinRange), (slow.Lo, slow.Hi));
        Assert.Null(book.Next("fast", 0, backups: false));

        var copy = book.Next("fast", 0, backups: true)!;
        Assert.Equal(slow.Id, copy.BackupOf);
        Assert.Null(book.Next("third", 0, backups: true)); // one copy per range
        Assert.Equal([slow], book.Finish(copy.Id, WorkBook.MinRange, accepted: true));
        Assert.True(book.Finished);
    }

    [Fact]
    public void A_resumed_book_hands_out_only_the_seeds_missing()
    {
        var remaining = IndexSet.Of(0, 100_000);
        remaining.Remove(0, 40_000);
        remaining.Remove(50_000, 60_000);
        var book = new WorkBook(new SeedSpan(0, 99_999, 1), remaining) { Runners = 64 };

        Assert.Equal(50_000UL, book.Done);
        var taken = new IndexSet();
        while (book.Next("n", 0, backups: false) is { } l) taken.Add(l.Lo, l.Hi);
        Assert.Equal([(40_000UL, 50_000UL), (60_000UL, 100_000UL)], taken.Runs);
    }

    [Theory]
    [InlineData(0UL, 99UL, 1UL, 50UL, 150UL, 1UL, true)]
    [InlineData(0UL, 98UL, 2UL, 1UL, 99UL, 2UL, false)]   // shards 1/2 and 2/2 of one range
    [InlineData(1UL, 9UL, 1UL, 2UL, 8UL, 2UL, true)]      // the whole range and one of its shards
    [InlineData(0UL, 90UL, 3UL, 1UL, 91UL, 5UL, true)]    // 6 ≡ 0 (mod 3) and ≡ 1 (mod 5)
    [InlineData(0UL, 5UL, 3UL, 1UL, 5UL, 5UL, false)]     // the common seed 6 lies beyond both
    [InlineData(0UL, 99UL, 4UL, 2UL, 98UL, 6UL, true)]    // x ≡ 0 (mod 4), x ≡ 2 (mod 6): 8
    [InlineData(0UL, 99UL, 4UL, 1UL, 97UL, 6UL, false)]   // x ≡ 0 (mod 4), x ≡ 1 (mod 6): no solution (gcd 2)
    public void Spans_overlap_exactly_when_they_share_a_seed(ulong f1, ulong l1, ulong s1, ulong f2, ulong l2, ulong s2, bool expected)
    {
        var a = new SeedSpan(f1, l1, s1);
        var b = new SeedSpan(f2, l2, s2);
        bool brute = Enumerable.Range(0, (int)a.Count).Select(i => a.Seed((ulong)i)).Intersect(Enumerable.Range(0, (int)b.Count).Select(i => b.Seed((ulong)i))).Any();

        Assert.Equal(brute, a.Overlaps(b));
        Assert.Equal(brute, b.Overlaps(a));
        Assert.Equal(expected, brute);
    }

    [Fact]
    public void An_index_set_joins_and_splits_intervals()
    {
        var s = IndexSet.Of(0, 10);
        s.Add(20, 30);
        s.Add(10, 20);
        Assert.Equal([(0UL, 30UL)], s.Runs);
        s.Remove(5, 7);
        Assert.Equal([(0UL, 5UL), (7UL, 30UL)], s.Runs);
        Assert.Equal(28UL, s.Count);
        Assert.True(s.Intersects(4, 6));
        Assert.False(s.Intersects(5, 7));
        Assert.Equal((0UL, 5UL), s.TakeFirst(100));
        Assert.Equal((7UL, 9UL), s.TakeFirst(2));
        Assert.Equal(21UL, s.Count);
    }
}
