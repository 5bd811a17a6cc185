namespace Smp.Host.Guest.Initramfs;

/// <summary>
/// The initramfs the Linux tests boot: <c>/dev</c> with <c>/dev/console</c> (character device 5:1, so the kernel can
/// open the initial console for fd 0–2) and <c>/init</c> = <see cref="TinyInit"/>. An uncompressed newc cpio, which
/// the kernel accepts as is (<c>-initrd</c> under QEMU, <c>--initrd</c> for smp).
/// </summary>
public static class TestInitramfs
{
    /// <summary>The archive's bytes.</summary>
    public static byte[] Build() => new CpioNewcWriter()
        .AddDirectory("dev")
        .AddCharacterDevice("dev/console", 5, 1)
        .AddFile("init", TinyInit.Build())
        .Finish();
}
