using Spectre.Console;
using Spectre.Console.Rendering;

namespace Smp.Host.Running;

/// <summary>
/// The Spectre.Console console over standard error, where tables and the stress progress are drawn: with colors,
/// Unicode borders and a live progress bar when stderr is a terminal; as plain ASCII text of a fixed width
/// otherwise (a file, a pipe, a test's <see cref="StringWriter"/>), so redirected output is the same on every host.
/// </summary>
internal static class StderrConsole
{
    /// <summary>The width plain text is laid out for: wide enough that no table row wraps.</summary>
    public const int PlainWidth = 240;

    /// <summary>Whether <paramref name="err"/> is the process's standard error on a terminal.</summary>
    /// <param name="err">The error writer a command was given.</param>
    /// <returns>True for a terminal.</returns>
    public static bool IsTerminal(TextWriter err) => ReferenceEquals(err, Console.Error) && !Console.IsErrorRedirected;

    /// <summary>A console writing to <paramref name="err"/>.</summary>
    /// <param name="err">Standard error.</param>
    /// <returns>The console.</returns>
    public static IAnsiConsole Create(TextWriter err)
    {
        bool terminal = IsTerminal(err);
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(err),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = terminal ? InteractionSupport.Yes : InteractionSupport.No,
        });
        if (!terminal)
        {
            console.Profile.Width = PlainWidth;
            console.Profile.Capabilities.Unicode = false;
        }

        return console;
    }

    /// <summary>
    /// Draws <paramref name="table"/> on <paramref name="err"/>: with rounded borders on a terminal wide enough for it;
    /// otherwise as borderless columns without trailing blanks (easy to read in a log and to cut with awk; a narrow
    /// terminal wraps its lines rather than squeezing every cell into a column of fragments).
    /// </summary>
    /// <param name="err">Standard error.</param>
    /// <param name="table">The table.</param>
    public static void WriteTable(TextWriter err, Table table)
    {
        if (IsTerminal(err))
        {
            var console = Create(err);
            table.Border(TableBorder.Rounded);
            if (((IRenderable)table).Measure(RenderOptions.Create(console), int.MaxValue).Max <= console.Profile.Width)
            {
                console.Write(table);
                return;
            }
        }

        var text = new StringWriter();
        Create(text).Write(table.Border(TableBorder.None));
        foreach (var line in text.ToString().Split('\n'))
        {
            if (line.Trim().Length > 0) err.WriteLine(line.TrimEnd());
        }
    }
}
