<?php
// FAKE cache_config_writer (see ../config.php), where Moodle 4.4 defines the real one. It keeps
// the stores and mode mappings in .fake/state.json under "muc", as Moodle keeps them in
// $CFG->dataroot/muc/config.php, and checks what Moodle 4.5's core_cache\config_writer checks.

defined('MOODLE_INTERNAL') || die();

class cache_config_writer {
    private array $stores;
    private array $modemappings;

    public static function instance() {
        fake_record('cache_config_writer::instance');
        return new self();
    }

    private function __construct() {
        $muc = fake_state()['muc'] ?? [];
        $this->stores = $muc['stores'] ?? [];
        $this->modemappings = $muc['modemappings'] ?? [];
        // cache_config::load() sorts the mappings by 'sort', highest first.
        usort($this->modemappings, fn($a, $b) => $b['sort'] <=> $a['sort']);
    }

    private function config_save(): void {
        $state = &fake_state();
        $state['muc']['stores'] = $this->stores;
        $state['muc']['modemappings'] = $this->modemappings;
        fake_save();
    }

    public function get_all_stores() {
        return $this->stores;
    }

    public function get_mode_mappings() {
        return $this->modemappings;
    }

    private static function store_class(string $plugin): string {
        global $CFG;
        $class = 'cachestore_' . $plugin;
        if (!class_exists($class)) {
            $file = $CFG->dirroot . '/cache/stores/' . $plugin . '/lib.php';
            if (!is_file($file)) {
                throw new Exception('Invalid plugin name specified. The plugin does not exist or is not valid.');
            }
            require_once($file);
        }
        return $class;
    }

    public function add_store_instance($name, $plugin, array $configuration = []) {
        fake_record('cache_config_writer::add_store_instance', [$name, $plugin, $configuration]);
        if (array_key_exists($name, $this->stores)) {
            throw new Exception('Duplicate name specificed for cache plugin instance. You must provide a unique name.');
        }
        $class = self::store_class($plugin);
        if (!$class::are_requirements_met()) {
            throw new Exception('Unable to add new cache plugin instance. The requested plugin type is not supported.');
        }
        $this->stores[$name] = [
            'name' => $name, 'plugin' => $plugin, 'configuration' => $configuration,
            'features' => 0, 'modes' => $class::get_supported_modes($configuration),
            'mappingsonly' => !empty($configuration['mappingsonly']), 'class' => $class, 'default' => false,
        ];
        $this->config_save();
        return true;
    }

    public function edit_store_instance($name, $plugin, $configuration) {
        fake_record('cache_config_writer::edit_store_instance', [$name, $plugin, $configuration]);
        if (!array_key_exists($name, $this->stores)) {
            throw new Exception('The requested instance does not exist.');
        }
        $class = self::store_class($plugin);
        $this->stores[$name] = [
            'name' => $name, 'plugin' => $plugin, 'configuration' => $configuration,
            'features' => 0, 'modes' => $class::get_supported_modes($configuration),
            'mappingsonly' => !empty($configuration['mappingsonly']), 'class' => $class,
            'default' => $this->stores[$name]['default'],
        ];
        $this->config_save();
        return true;
    }

    public function set_mode_mappings(array $modemappings) {
        fake_record('cache_config_writer::set_mode_mappings', [$modemappings]);
        $mappings = [cache_store::MODE_APPLICATION => [], cache_store::MODE_SESSION => [], cache_store::MODE_REQUEST => []];
        foreach ($modemappings as $mode => $stores) {
            if (!array_key_exists($mode, $mappings)) {
                throw new Exception('The cache mode for the new mapping does not exist');
            }
            $sort = 0;
            foreach ($stores as $store) {
                if (!array_key_exists($store, $this->stores)) {
                    throw new Exception('The instance name for the new mapping does not exist');
                }
                $mappings[$mode][] = ['store' => $store, 'mode' => $mode, 'sort' => $sort++];
            }
        }
        $this->modemappings = array_merge(
            $mappings[cache_store::MODE_APPLICATION],
            $mappings[cache_store::MODE_SESSION],
            $mappings[cache_store::MODE_REQUEST]
        );
        $this->config_save();
        return true;
    }
}
