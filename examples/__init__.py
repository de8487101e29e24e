"""The bundled example programs (sources, build script, prebuilt ELF images)."""
