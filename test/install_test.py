#!/usr/bin/env python3
"""meson install leaves no orphans: into a temporary DESTDIR it installs the library, exactly the
public headers and trigger.pc, and pkg-config builds examples/next_times.cc against them."""
import glob
import os
import shutil
import subprocess
import tempfile
import unittest

SOURCE = os.environ['TRIGGER_SOURCE_ROOT']
BUILD = os.environ['TRIGGER_BUILD_ROOT']


class InstallTest(unittest.TestCase):
    def setUp(self):
        self._dir = tempfile.TemporaryDirectory(prefix='trigger-install-')
        self.root = self._dir.name
        subprocess.run(['meson', 'install', '-C', BUILD, '--no-rebuild', '--quiet', '--destdir', self.root],
                       check=True, capture_output=True, timeout=120)

    def tearDown(self):
        self._dir.cleanup()

    def installed(self, pattern):
        return glob.glob(os.path.join(self.root, pattern.lstrip('/')), recursive=True)

    def test_the_public_headers_exactly(self):
        [include] = self.installed('**/include/trigger')
        public = sorted(os.listdir(os.path.join(SOURCE, 'lib', 'include', 'trigger')))
        self.assertEqual(sorted(os.listdir(include)), public)
        self.assertEqual(len(self.installed('**/libtrigger.a')), 1)

    def build(self, source, program):
        """Compile and link `source` with the flags pkg-config gives for the installed trigger."""
        [pc] = self.installed('**/pkgconfig/trigger.pc')
        env = dict(os.environ, PKG_CONFIG_PATH=os.path.dirname(pc), PKG_CONFIG_SYSROOT_DIR=self.root)
        flags = subprocess.run(['pkg-config', '--cflags', '--libs', 'trigger'], env=env, check=True,
                               capture_output=True, text=True).stdout.split()
        self.assertTrue(any(f.startswith('-I' + self.root) for f in flags), flags)
        compiler = os.environ.get('CXX', shutil.which('c++') or 'g++')
        subprocess.run([compiler, '-std=c++17', '-O0', source, *flags, '-o', program], check=True, timeout=300)

    def test_the_flags_link_the_store_too(self):
        source = os.path.join(self.root, 'store.cc')
        with open(source, 'w') as f:
            f.write('#include <trigger/store.h>\n#include <iostream>\n'
                    'int main(int, char** argv) {\n'
                    '  auto store = trigger::Store::open(argv[1], trigger::Store::Mode::kCreate);\n'
                    '  std::cout << (store ? "ok" : store.error().message()) << "\\n";\n}\n')
        program = os.path.join(self.root, 'store')
        self.build(source, program)
        run = subprocess.run([program, os.path.join(self.root, 'new.db')], capture_output=True, text=True, timeout=30)
        self.assertEqual((run.returncode, run.stdout, run.stderr), (0, 'ok\n', ''))

    def test_pkg_config_builds_and_links_the_example(self):
        program = os.path.join(self.root, 'next_times')
        self.build(os.path.join(SOURCE, 'examples', 'next_times.cc'), program)
        run = subprocess.run([program, "--cron '0 9 * * 1-5'", 'Europe/Berlin', '2026-12-04T12:00:00Z'],
                             capture_output=True, text=True, timeout=30)
        self.assertEqual((run.returncode, run.stderr), (0, ''))
        self.assertEqual(run.stdout, '2026-12-07T09:00:00+01:00\n2026-12-08T09:00:00+01:00\n'
                                     '2026-12-09T09:00:00+01:00\n')


if __name__ == '__main__':
    unittest.main(verbosity=1)
