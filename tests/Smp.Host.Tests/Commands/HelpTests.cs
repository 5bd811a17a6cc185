using System.CommandLine;
using Smp.Host.Commands;
using Smp.Host.Tests.Support;

namespace Smp.Host.Tests.Commands;

/// <summary><c>smp --help</c> and every command's <c>--help</c> explain every option, with the limits the parser really applies.</summary>
public sealed class HelpTests
{
    private static readonly RootCommand Root = SmpCli.BuildRootCommand(new CliContext(TextWriter.Null, TextWriter.Null));

    public static TheoryData<string> CommandPaths()
    {
        var paths = new TheoryData<string> { string.Empty };
        void Walk(Command command, string prefix)
        {
            foreach (var sub in command.Subcommands)
            {
                var path = (prefix + " " + sub.Name).Trim();
                paths.Add(path);
                Walk(sub, path);
            }
        }

        Walk(Root, string.Empty);
        return paths;
    }

    private static Command Find(string path) =>
        path.Split(' ', StringSplitOptions.RemoveEmptyEntries).Aggregate((Command)Root, (c, name) => c.Subcommands.Single(s => s.Name == name));

    [Theory]
    [MemberData(nameof(CommandPaths))]
    public void Every_option_and_subcommand_is_explained(string path)
    {
        var command = Find(path);
        var help = Cli.Run([.. path.Split(' ', StringSplitOptions.RemoveEmptyEntries), "--help"]);

        Assert.Equal(ExitCodes.Ok, help.ExitCode);
        Assert.False(string.IsNullOrWhiteSpace(command.Description));
        foreach (var option in command.Options)
        {
            Assert.False(string.IsNullOrWhiteSpace(option.Description), $"{option.Name} has no description");
            Assert.Contains(option.Name, help.Out);
        }

        foreach (var sub in command.Subcommands) Assert.Contains($"  {sub.Name} ", help.Out);
        Assert.DoesNotContain(" { ", help.Out); // a record's ToString() shown as a default
        Assert.DoesNotContain("[default: Events]", help.Out);
    }

    /// <summary>The range the help states is the range the parser accepts: the value at each end passes, the next one fails.</summary>
    [Theory]
    [InlineData("boot", "--cpus", "(1..64,", 1, 64)]
    [InlineData("stress", "--cpus", "(1..64,", 1, 64)]
    [InlineData("run --disk x.img", "--cpus", "(1..255,", 1, 255)]
    [InlineData("boot", "--memory", "(9..65536;", 9, 65536)]
    [InlineData("run --disk x.img", "--memory", "(2..65536)", 2, 65536)]
    [InlineData("run --disk x.img", "--max-instructions", "(1..9223372036854775807;", 1, long.MaxValue)]
    public void The_stated_range_is_the_accepted_range(string command, string option, string stated, long min, long max)
    {
        string[] words = command.Split(' ');
        Assert.Contains(stated, Cli.Run([.. words, "--help"]).Out);

        Assert.Empty(Root.Parse([.. words, option, Text(min)]).Errors);
        Assert.Empty(Root.Parse([.. words, option, Text(max)]).Errors);
        Assert.NotEmpty(Root.Parse([.. words, option, Text(min - 1)]).Errors);
        Assert.NotEmpty(Root.Parse([.. words, option, max == long.MaxValue ? "9223372036854775808" : Text(max + 1)]).Errors);
    }

    [Fact]
    public void Stress_shows_its_defaults_as_they_are_typed()
    {
        var help = Cli.Run("stress", "--help").Out;

        Assert.Contains("[default: 1..100]", help);
        Assert.Contains("[default: 1/1]", help);
    }

    [Fact]
    public void The_root_help_states_the_output_rule_and_every_exit_code()
    {
        var help = Cli.Run("--help").Out;

        Assert.Contains("exactly the guest's COM1 bytes (boot, run)", help);
        foreach (var code in new[] { ExitCodes.Usage, ExitCodes.GuestShutdown, ExitCodes.BudgetExhausted, ExitCodes.StressViolations,
                     ExitCodes.MachineIdle, ExitCodes.BootIncomplete, ExitCodes.ExportFailed, ExitCodes.InternalError })
            Assert.Contains($" {code} ", help);
    }

    private static string Text(long value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
