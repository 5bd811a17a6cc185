using System.Diagnostics;
using System.Reflection;

namespace Smp.Host.Telemetry;

/// <summary>
/// Turns a <see cref="BootTrace"/> into <see cref="Activity"/> objects of the <see cref="ActivitySource"/>
/// named <see cref="SourceName"/>, with the trace's deterministic IDs, simulated start and end times,
/// attributes, events and links, ready for any <c>BaseExporter&lt;Activity&gt;</c>. The activities are
/// never started, so they never become <see cref="Activity.Current"/> nor reach other listeners.
/// </summary>
public static class ActivityConverter
{
    /// <summary>The activity source (and instrumentation scope) name.</summary>
    public const string SourceName = "Smp";

    private static readonly ActivitySource Source = new(SourceName, OtlpJsonExporter.Version);

    // .NET offers no public way to choose an activity's span ID (only its parent's), so the
    // deterministic IDs go into the private fields that back TraceId and SpanId; Convert checks
    // the result and fails loudly if a future runtime changes them.
    private static readonly FieldInfo? SpanIdField = typeof(Activity).GetField("_spanId", BindingFlags.Instance | BindingFlags.NonPublic);
    private static readonly FieldInfo? TraceIdField = typeof(Activity).GetField("_traceId", BindingFlags.Instance | BindingFlags.NonPublic);

    /// <summary>Converts every span of <paramref name="trace"/>, parents before children.</summary>
    /// <param name="trace">An ended trace.</param>
    /// <returns>The activities, in the trace's span order.</returns>
    public static Activity[] Convert(BootTrace trace)
    {
        ArgumentNullException.ThrowIfNull(trace);
        var traceId = ActivityTraceId.CreateFromString(trace.TraceIdHex);
        var result = new Activity[trace.Spans.Count];
        for (var i = 0; i < trace.Spans.Count; i++)
        {
            var span = trace.Spans[i];
            var activity = new Activity(span.Name);
            activity.SetIdFormat(ActivityIdFormat.W3C);
            if (span.Parent is { } parent)
            {
                activity.SetParentId(traceId, ActivitySpanId.CreateFromString(parent.SpanIdHex), ActivityTraceFlags.Recorded);
            }

            SetIds(activity, trace.TraceIdHex, span.SpanIdHex);
            SetSource(activity);
            activity.ActivityTraceFlags = ActivityTraceFlags.Recorded;
            activity.IsAllDataRequested = true;
            activity.SetStartTime(ToUtc(span.StartNs));
            activity.SetEndTime(ToUtc(span.IsOpen ? Math.Max(span.StartNs, trace.Root.EndNs) : span.EndNs));
            foreach (var attribute in span.Attributes)
            {
                activity.SetTag(attribute.Key, attribute.Value);
            }

            foreach (var traceEvent in span.Events)
            {
                activity.AddEvent(new ActivityEvent(traceEvent.Name, new DateTimeOffset(ToUtc(traceEvent.TimeNs)), Tags(traceEvent.Attributes)));
            }

            foreach (var link in span.Links)
            {
                var context = new ActivityContext(traceId, ActivitySpanId.CreateFromString(link.Target.SpanIdHex), ActivityTraceFlags.Recorded);
                activity.AddLink(new ActivityLink(context, Tags(link.Attributes)));
            }

            result[i] = activity;
        }

        return result;
    }

    /// <summary>A simulated time as a UTC <see cref="DateTime"/> (the fixed epoch plus the nanoseconds, to the 100 ns tick).</summary>
    /// <param name="timeNs">Simulated nanoseconds.</param>
    /// <returns>The time.</returns>
    public static DateTime ToUtc(long timeNs) => DateTime.UnixEpoch.AddTicks(BootTrace.ToUnixNanos(timeNs) / 100);

    private static ActivityTagsCollection Tags(IReadOnlyList<TraceAttribute> attributes)
    {
        var tags = new ActivityTagsCollection();
        foreach (var attribute in attributes)
        {
            tags[attribute.Key] = attribute.Value;
        }

        return tags;
    }

    private static void SetIds(Activity activity, string traceIdHex, string spanIdHex)
    {
        if (SpanIdField is null || TraceIdField is null)
        {
            throw new InvalidOperationException("this .NET runtime does not let the trace's deterministic span IDs be set on activities");
        }

        TraceIdField.SetValue(activity, traceIdHex);
        SpanIdField.SetValue(activity, spanIdHex);
        if (activity.SpanId.ToHexString() != spanIdHex || activity.TraceId.ToHexString() != traceIdHex)
        {
            throw new InvalidOperationException("this .NET runtime ignored the trace's deterministic span IDs on activities");
        }
    }

    private static readonly PropertyInfo? SourceProperty = typeof(Activity).GetProperty(nameof(Activity.Source));

    private static void SetSource(Activity activity)
    {
        // Activity.Source has an internal setter; the OTLP exporter names the instrumentation scope after it.
        var setter = SourceProperty?.GetSetMethod(nonPublic: true);
        setter?.Invoke(activity, [Source]);
    }
}
