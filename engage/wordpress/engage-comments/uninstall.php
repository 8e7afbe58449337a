<?php
/**
 * Uninstalling removes the plugin's own settings and caches only: WordPress's comments were
 * never touched, and the theme shows them again.
 *
 * @package engage-comments
 */

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

global $wpdb;

delete_option( 'engage_comments' );
// Cached fragments and counts, and the last good copies of the fragments.
$wpdb->query( "DELETE FROM {$wpdb->options} WHERE option_name LIKE '\\_transient\\_engage\\_%' OR option_name LIKE '\\_transient\\_timeout\\_engage\\_%' OR option_name LIKE 'engage\\_fragment\\_%'" ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery
