<?php
/**
 * Plugin Name:       engage comments
 * Plugin URI:        https://github.com/engage-comments/engage
 * Description:       Replaces WordPress comments with engage: comments, reactions and sharing, moderated on your own engage server. The comments stay in the page's HTML for search engines.
 * Version:           1.0.0
 * Requires at least: 6.0
 * Requires PHP:      8.0
 * Author:            engage
 * License:           GPL-2.0-or-later
 * License URI:       https://www.gnu.org/licenses/gpl-2.0.html
 * Text Domain:       engage-comments
 * Domain Path:       /languages
 *
 * @package engage-comments
 */

defined( 'ABSPATH' ) || exit;

define( 'ENGAGE_COMMENTS_VERSION', '1.0.0' );
define( 'ENGAGE_COMMENTS_DIR', __DIR__ );

require_once __DIR__ . '/includes/options.php';
require_once __DIR__ . '/includes/client.php';
require_once __DIR__ . '/includes/sso.php';
require_once __DIR__ . '/includes/thread.php';
require_once __DIR__ . '/includes/counts.php';
require_once __DIR__ . '/includes/settings-page.php';
require_once __DIR__ . '/includes/sso-settings.php';

add_action(
	'init',
	static function () {
		load_plugin_textdomain( 'engage-comments', false, dirname( plugin_basename( __FILE__ ) ) . '/languages' );
	}
);
add_filter( 'plugin_action_links_' . plugin_basename( __FILE__ ), 'engage_comments_action_links' );

/**
 * A "Settings" link beside "Deactivate" on the Plugins screen.
 *
 * @param array $links The plugin's action links.
 * @return array
 */
function engage_comments_action_links( $links ) {
	$url = admin_url( 'options-general.php?page=engage-comments' );
	array_unshift( $links, '<a href="' . esc_url( $url ) . '">' . esc_html__( 'Settings', 'engage-comments' ) . '</a>' );
	return $links;
}
