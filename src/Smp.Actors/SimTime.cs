namespace Smp.Actors;

/// <summary>
/// Units of simulated time. Simulated time is a 64-bit count of nanoseconds since the
/// start of the run; these constants make durations readable (<c>5 * SimTime.Microsecond</c>).
/// </summary>
public static class SimTime
{
    /// <summary>One nanosecond, the unit of simulated time.</summary>
    public const long Nanosecond = 1;

    /// <summary>One microsecond (1 000 ns), the default scheduling quantum.</summary>
    public const long Microsecond = 1_000;

    /// <summary>One millisecond (1 000 000 ns).</summary>
    public const long Millisecond = 1_000_000;

    /// <summary>One second (1 000 000 000 ns).</summary>
    public const long Second = 1_000_000_000;

    /// <summary>
    /// Formats a simulated time or duration for people, choosing the largest unit that
    /// keeps the value readable (for example <c>1.5 µs</c> or <c>2 s</c>).
    /// </summary>
    /// <param name="nanoseconds">The time or duration in nanoseconds.</param>
    /// <returns>The formatted text, using the invariant culture.</returns>
    public static string Format(long nanoseconds)
    {
        var abs = Math.Abs(nanoseconds);
        if (abs >= Second)
        {
            return FormatScaled(nanoseconds, Second, "s");
        }

        if (abs >= Millisecond)
        {
            return FormatScaled(nanoseconds, Millisecond, "ms");
        }

        if (abs >= Microsecond)
        {
            return FormatScaled(nanoseconds, Microsecond, "µs");
        }

        return nanoseconds.ToString(System.Globalization.CultureInfo.InvariantCulture) + " ns";
    }

    private static string FormatScaled(long value, long unit, string suffix) =>
        ((double)value / unit).ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) + " " + suffix;
}
