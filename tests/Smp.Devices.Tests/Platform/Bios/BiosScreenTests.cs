using Smp.Devices.Platform.Firmware;
using static Iced.Intel.AssemblerRegisters;
using static Smp.Devices.Tests.Platform.Bios.GuestDisk;

namespace Smp.Devices.Tests.Platform.Bios;

public sealed class BiosScreenTests
{
    private const ulong TextBuffer = 0xB8000, RowBytes = 160;

    [Fact]
    public void TeletypeWritesTheVgaTextBufferAtTheCursorAndScrollsOnTheLastRow()
    {
        // "A", CR LF, "B", then 24 more line feeds: the 25th row is passed once, so the screen scrolls by one line
        // ("A" leaves, "B" moves to the top) and "C" lands at the start of the blank bottom row.
        string text = "A\r\nB" + string.Concat(Enumerable.Repeat("\r\n", 24)) + "C";
        byte[] image = Build(a =>
        {
            foreach (char c in text)
            {
                a.mov(ax, (ushort)(0x0E00 | c));
                a.@int(0x10);
            }

            Exit(a, 0);
        });
        using var m = new BiosMachine(new DiskImage(image));
        m.Run();

        Assert.Equal(1, m.ExitCode);
        Assert.Equal(text, m.ConsoleText);
        Assert.Equal((byte)'B', m.Byte(TextBuffer));
        Assert.Equal((byte)'C', m.Byte(TextBuffer + 24 * RowBytes));
        Assert.Equal(0x0720, m.Word(TextBuffer + 24 * RowBytes + 2)); // the new row: blanks in light grey on black
        Assert.Equal(0x1801, m.Word(BiosDataArea.CursorPosition)); // row 24, column 1
    }
}
