using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Host.Tests.Support;

/// <summary>Small bootable disk images (a real-mode boot sector assembled with Iced) written into a directory.</summary>
/// <param name="directory">Where the images go.</param>
public sealed class BootSectors(string directory)
{
    /// <summary>The debug-exit value <see cref="Hello"/> writes: exit code (0x21 &lt;&lt; 1) | 1.</summary>
    public const byte HelloExit = 0x21;

    /// <summary>Assembles <paramref name="build"/> at 0000:7C00 into a two-sector image with the boot signature.</summary>
    public string Write(Action<Assembler> build)
    {
        var a = new Assembler(16);
        build(a);
        var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), 0x7C00);
        var image = new byte[1024];
        stream.ToArray().CopyTo(image, 0);
        image[510] = 0x55;
        image[511] = 0xAA;
        var path = Path.Combine(directory, Guid.NewGuid().ToString("N") + ".img");
        File.WriteAllBytes(path, image);
        return path;
    }

    /// <summary>Writes <paramref name="text"/> to COM1 (port 0x3F8) byte by byte.</summary>
    public static void Print(Assembler a, string text)
    {
        a.mov(dx, 0x3F8);
        foreach (char c in text)
        {
            a.mov(al, (byte)c);
            a.@out(dx, al);
        }
    }

    /// <summary>Prints <c>hello\n</c> and writes <see cref="HelloExit"/> to the debug-exit port.</summary>
    public string Hello() => Write(a =>
    {
        Print(a, "hello\n");
        a.mov(al, HelloExit);
        a.@out(0xF4, al);
        a.hlt();
    });

    /// <summary>Prints <paramref name="text"/> and then spins forever (no HLT, so the machine never idles).</summary>
    public string PrintThenSpin(string text) => Write(a =>
    {
        Print(a, text);
        var spin = a.CreateLabel();
        a.Label(ref spin);
        a.jmp(spin);
    });

    /// <summary>
    /// Writes <paramref name="lines"/> lines of 63 bytes cycling through the printable ASCII range and a newline
    /// to COM1 in a loop, then exits with value 0 through port 0xF4 (exit code 1).
    /// </summary>
    public string Flood(int lines) => Write(a =>
    {
        var line = a.CreateLabel();
        var next = a.CreateLabel();
        a.mov(dx, 0x3F8);
        a.mov(ebx, (uint)lines);
        a.mov(al, (byte)' ');
        a.Label(ref line);
        a.mov(cx, 63);
        a.Label(ref next);
        a.@out(dx, al);
        a.inc(al);
        a.and(al, 0x3F);
        a.or(al, 0x20);
        a.loop(next);
        a.mov(al, (byte)'\n');
        a.@out(dx, al);
        a.mov(al, (byte)' ');
        a.dec(ebx);
        a.jnz(line);
        a.mov(al, 0);
        a.@out(0xF4, al);
        a.hlt();
    });

    /// <summary>What <see cref="Flood"/> prints.</summary>
    public static string FloodText(int lines)
    {
        var one = new char[64];
        byte c = (byte)' ';
        for (int i = 0; i < 63; i++)
        {
            one[i] = (char)c;
            c = (byte)(((c + 1) & 0x3F) | 0x20);
        }

        one[63] = '\n';
        return string.Concat(Enumerable.Repeat(new string(one), lines));
    }
}
