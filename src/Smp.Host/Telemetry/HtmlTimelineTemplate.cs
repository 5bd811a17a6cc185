using System.Reflection;

namespace Smp.Host.Telemetry;

/// <summary>The page of <see cref="HtmlTimelineExporter"/>: <c>timeline.html</c>, embedded in the assembly.</summary>
internal static class HtmlTimelineTemplate
{
    private static readonly Lazy<string> Text = new(() =>
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Smp.Host.Telemetry.timeline.html")
            ?? throw new InvalidOperationException("the timeline page is missing from the smp assembly");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    /// <summary>The page, with <c>{{TITLE}}</c> and <c>{{DATA}}</c> placeholders.</summary>
    public static string Page => Text.Value;
}
