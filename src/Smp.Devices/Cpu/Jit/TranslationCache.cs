namespace Smp.Devices.Cpu.Jit;

/// <summary>
/// The process-wide store of translations, keyed by <see cref="RegionKey"/>: CPUs running the same code in the same
/// mode share one compiled method, and a second boot in the same process finds the first one's. Compilation runs on
/// one background thread (the CPU interprets meanwhile, with the same results) or, when the caller asks, at once.
/// The thread takes the hottest waiting region first (the one whose head block the interpreter ran most since the
/// thread last looked), so a loop that dominates a phase (Linux's decompressor) does not wait behind hundreds of regions
/// that each ran a few hundred times, nor behind regions of a phase that is over.
/// </summary>
internal static class TranslationCache
{
    // Past this many translations the store starts over (the dropped methods are collected once no CPU uses them).
    private const int Capacity = 16384;

    private static readonly Dictionary<RegionKey, Translation> Store = [];
    private static readonly Lock Gate = new();
    private static readonly List<WaitingRegion> Pending = [];
    private static readonly SemaphoreSlim PendingCount = new(0);
    private static Thread? _worker;
    private static long _compiled, _compileTicks, _reused, _failed, _ilBytes;

    /// <summary>Translations compiled in this process so far.</summary>
    public static long Compiled => Interlocked.Read(ref _compiled);

    /// <summary>Host time spent compiling them (Stopwatch ticks), including the .NET JIT's own compilation.</summary>
    public static long CompileTicks => Interlocked.Read(ref _compileTicks);

    /// <summary>Times a CPU took a translation another CPU (or an earlier run) had made.</summary>
    public static long Reused => Interlocked.Read(ref _reused);

    /// <summary>Background compilations that failed (the region stays interpreted).</summary>
    public static long Failed => Interlocked.Read(ref _failed);

    /// <summary>IL bytes of the translations compiled so far (the .NET JIT's time grows with it).</summary>
    public static long IlBytes => Interlocked.Read(ref _ilBytes);

    /// <summary>Regions queued for the background thread and not compiled yet.</summary>
    public static int Waiting
    {
        get
        {
            lock (Gate) return Pending.Count;
        }
    }

    /// <summary>Why the last background compilation failed, for diagnostics.</summary>
    public static string? LastFailure { get; private set; }

    /// <summary>The translation of <paramref name="region"/>: found, compiled now, or queued for the background thread.</summary>
    public static Translation Get(Region region, bool wait)
    {
        Translation translation;
        lock (Gate)
        {
            if (Store.TryGetValue(region.Key, out var found))
            {
                Interlocked.Increment(ref _reused);
                return found;
            }

            if (Store.Count >= Capacity) Store.Clear();
            translation = new Translation(region.Key) { Instructions = region.Uops.Length };
            Store.Add(region.Key, translation);
            if (!wait)
            {
                _worker ??= StartWorker();
                Pending.Add(new WaitingRegion(translation, region) { Seen = region.Nodes[0].Block.Executions });
                PendingCount.Release();
                return translation;
            }
        }

        Compile(translation, region);
        return translation;
    }

    /// <summary>
    /// Drops every translation and every region still waiting, so the next machine compiles its code from nothing
    /// (benchmark rounds). Call it between runs: a machine still running would interpret the regions it queued.
    /// </summary>
    public static void Clear()
    {
        lock (Gate)
        {
            Store.Clear();
            Pending.Clear();
        }
    }

    private static Thread StartWorker()
    {
        var thread = new Thread(() =>
        {
            while (true)
            {
                PendingCount.Wait();
                // Nothing when Clear dropped the region this count was for.
                if (TakeHottest() is not { } next) continue;
                try
                {
                    Compile(next.Translation, next.Region);
                }
                catch (Exception ex) when (ex is InvalidProgramException or NotSupportedException or InvalidOperationException)
                {
                    // A region the translator mishandles stays interpreted (Code remains null); tests compile
                    // synchronously, where the same exception surfaces.
                    Interlocked.Increment(ref _failed);
                    LastFailure = ex.Message;
                }
            }
        })
        {
            IsBackground = true,
            Name = "smp-jit",
        };
        thread.Start();
        return thread;
    }

    // The waiting region that interpreted most instructions at its head since the previous pick (executions of the head
    // block, which the interpreter counts until the translation is published, times its length): what runs now, not what
    // ran a lot once. With hundreds waiting through Linux's boot, picking by total executions compiled finished phases
    // first: 155 million instructions were interpreted while their region waited, 90 million with this order.
    private static WaitingRegion? TakeHottest()
    {
        lock (Gate)
        {
            if (Pending.Count == 0) return null;
            int best = 0;
            long bestRecent = long.MinValue;
            for (int i = 0; i < Pending.Count; i++)
            {
                var w = Pending[i];
                long now = w.Region.Nodes[0].Block.Executions;
                long recent = (now - w.Seen) * w.Region.Nodes[0].Block.Count;
                w.Seen = now;
                if (recent > bestRecent)
                {
                    bestRecent = recent;
                    best = i;
                }
            }

            var taken = Pending[best];
            Pending.RemoveAt(best);
            return taken;
        }
    }

    private sealed class WaitingRegion(Translation translation, Region region)
    {
        public Translation Translation { get; } = translation;

        public Region Region { get; } = region;

        // The head block's executions when the compiler last looked.
        public long Seen { get; set; }
    }

    private static void Compile(Translation translation, Region region)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        var (code, ilBytes) = RegionCompiler.Compile(region);
        Interlocked.Add(ref _ilBytes, ilBytes);
        // DynamicMethods are compiled by .NET at their first call: make that call here (a negative budget returns at
        // once), so the CPU that uses the translation never waits for the .NET JIT.
        code(null!, -1, 0);
        translation.Publish(code);
        Interlocked.Add(ref _compileTicks, System.Diagnostics.Stopwatch.GetTimestamp() - start);
        Interlocked.Increment(ref _compiled);
    }
}
