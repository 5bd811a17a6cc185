using System.CommandLine;

namespace Smp.Host.Commands;

/// <summary><c>smp image</c>: writes the built-in kernel as a raw disk image.</summary>
internal static class ImageCommand
{
    /// <summary>Creates the command.</summary>
    /// <param name="context">Where the command writes.</param>
    /// <returns>The command.</returns>
    public static Command Create(CliContext context)
    {
        var command = new Command(
            "image",
            "Write the built-in kernel as a raw disk image that boots unchanged under smp run, QEMU and Bochs.")
        {
            new Option<FileInfo>("--out")
            {
                Description = "The image file to write (overwritten if it exists).",
                HelpName = "FILE",
                Required = true,
            },
        };
        command.SetAction(_ => context.Guard("smp image", () =>
            context.NotImplemented("smp image", "the built-in kernel arrives with issue 5")));
        return command;
    }
}
